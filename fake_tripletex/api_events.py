"""Webhook configuration endpoints: ``GET /event`` and ``/event/subscription`` CRUD."""
from __future__ import annotations

from . import errors
from .kinds import EVENTS
from .resources import BEHAVIOURS, Behaviour, crud
from .routing import Request, Response


def list_events(req: Request) -> Response:
    return Response(200, {"value": {name: {"description": text} for name, text in sorted(EVENTS.items())}})


def _subscription_check(req: Request, obj: dict, old) -> None:
    if obj.get("event") not in EVENTS:
        raise errors.validation("event", f"Ukjent hendelse: {obj.get('event')}. Se GET /event.")
    url = obj.get("targetUrl", "")
    if not url.startswith(("http://", "https://")):
        raise errors.validation("targetUrl", "targetUrl må være en absolutt URL.")
    statuses = req.app.spec.schemas["Subscription"]["properties"]["status"]["enum"]
    obj.setdefault("status", "ACTIVE")
    if obj["status"] not in statuses:
        raise errors.validation("status", f"Ukjent status: {obj['status']}.")
    if old is not None and obj["status"] == "ACTIVE" and old.get("status") != "ACTIVE":
        # Switched on again (after DISABLED_TOO_MANY_ERRORS, say): the failure count starts afresh.
        obj["_failures"] = 0


BEHAVIOURS["subscription"] = Behaviour(required=("event", "targetUrl"), check=_subscription_check)


def register(router) -> None:
    router.add("GET", "/event", list_events)
    crud(router, "subscription", delete=True)
