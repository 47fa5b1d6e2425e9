"""Webhook subscriptions (`/event/subscription`) and the event names Tripletex offers (`/event`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..paging import Progress
from .base import Fields, ResourceBase


class EventMixin(ResourceBase):
    def event_names(self) -> dict[str, str]:
        """Event name (`project.update`, …) → description."""
        value = self.read("/event")
        return {name: (info or {}).get("description", "") for name, info in (value or {}).items()}

    def event_subscription_list(self, *, fields: Fields = None, progress: Progress | None = None) -> list[dict]:
        return self.list_all("/event/subscription", fields=fields, progress=progress)

    def event_subscription_get(self, subscription_id: int, *, fields: Fields = None) -> dict:
        return self.read(f"/event/subscription/{subscription_id}", fields=fields)

    def event_subscription_create(self, subscription: Mapping[str, Any]) -> dict:
        """`event`, `targetUrl` (absolute HTTPS), optional `fields`, `authHeaderName`/`authHeaderValue`."""
        return self._create("/event/subscription", subscription)

    def event_subscription_update(self, subscription_id: int, changes: Mapping[str, Any], *, version: int) -> dict:
        """E.g. `{"status": "ACTIVE"}` to re-enable one Tripletex disabled after too many errors."""
        return self._update(f"/event/subscription/{subscription_id}", changes, id=subscription_id, version=version)

    def event_subscription_delete(self, subscription_id: int) -> None:
        # No version on this DELETE, so a resend after a drop is not provably harmless; keep the rule simple.
        self.delete(f"/event/subscription/{subscription_id}", retry_safe=False)
