"""What every connector is: a name, the admin's words for it, its options, what it owns, and three handlers.

A connector is a small object registered in `integrations.connectors.registry`. The platform calls it;
it never calls Celery, never opens a transaction of its own around Tripletex calls, and reads and
writes Tripletex only through `ctx.client`:

- `handle_local_change(ctx, change)`: a row of a kind it owns changed here (an `OutboundChange`);
  bring Tripletex in step, or log why not.
- `handle_remote_change(ctx, kind, tripletex_id, event)`: Tripletex told us (webhook) that an object
  changed; re-read it and apply it here under the connector's rules.
- `reconcile(ctx)`: read what changed in Tripletex since `ctx.config.watermark` and apply it; the
  platform moves the watermark only when this returns without raising.

Every object a handler touches gets one `ctx.record(...)`: that is the log the admin reads. A handler that
logs a Tripletex failure itself (with its label and Tripletex's field messages) re-raises it with
`exc.logged = True`, so the platform marks the change without logging it twice.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms

if TYPE_CHECKING:
    from tenants.models import Tenant

    from ..models import Connection, ConnectorConfig, OutboundChange, SyncRecord, SyncRun
    from ..tripletex import TripletexClient


class Deferred(Exception):
    """Not this change's turn yet: what it depends on is still being sent (by another worker, or after a
    retry). The platform puts the change back for `retry_in` seconds without counting an attempt."""

    def __init__(self, retry_in: float):
        super().__init__(retry_in)
        self.retry_in = retry_in


class RunStopped(Exception):
    """The connection was removed, or the connector switched off, while a handler was working: stop here."""

    def __init__(self, message: str = ""):
        from django.utils.translation import gettext as _

        self.message = message or _("Stoppet underveis: Tripletex ble koblet fra eller integrasjonen slått av.")
        super().__init__(self.message)


class NoOptions(forms.Form):
    """For a connector without options."""


@dataclasses.dataclass(frozen=True)
class Connector:
    name: str
    # The admin's words: a short title and the one sentence on its card (lazy gettext strings).
    title: Any
    description: Any
    options_form: type[forms.Form] = NoOptions
    # `Link.Kind` values whose local changes this connector sends to Tripletex.
    kinds: tuple[str, ...] = ()
    # Kinds it sends only while no switched-on connector has them in `kinds` (`registry.senders_of`): a stand-in
    # owner, so a row is never sent by two connectors and the one that keeps it in step both ways wins.
    kinds_if_unowned: tuple[str, ...] = ()
    # Tripletex webhook events it subscribes to while switched on (`project.update`, …).
    events: tuple[str, ...] = ()
    # Rules in the admin's words, shown under the card and named in the log.
    rules: tuple[Any, ...] = ()
    # Connectors that may not be on at the same time as this one (both would own the same rows).
    excludes: tuple[str, ...] = ()
    handle_local_change: Callable[[SyncContext, OutboundChange], None] | None = None
    handle_remote_change: Callable[[SyncContext, str, int, str], None] | None = None
    reconcile: Callable[[SyncContext], None] | None = None
    # What it needs of the company's Tripletex (a module, a right), checked with harmless reads before it is
    # switched on: the reasons it cannot work, in the admin's words, or none (`connectors.requirements`).
    requirements: Callable[[TripletexClient, dt.date], list[str]] | None = None

    def default_options(self) -> dict:
        form = self.options_form()
        return {name: field.initial for name, field in form.fields.items() if field.initial is not None}


@dataclasses.dataclass
class SyncContext:
    """What a handler gets: the company, its live connection and client, the connector's config and the run."""

    tenant: Tenant
    connection: Connection
    client: TripletexClient
    config: ConnectorConfig
    run: SyncRun
    # What a handler looks up once per run and reuses for every record in it (e.g. the token's own employee).
    cache: dict = dataclasses.field(default_factory=dict)

    @property
    def company_id(self) -> int:
        return self.connection.tripletex_company_id

    @property
    def options(self) -> dict:
        return self.config.options

    def hold(self) -> None:
        """Call inside the transaction that writes what was read from Tripletex, before writing.

        Locks the company's connection row, so one writer (a webhook, a reconcile) works at a time and
        removing the integration, which locks the same row, is seen at once; raises `RunStopped` when the
        connection is no longer active or the connector was switched off.
        """
        from ..models import Connection, ConnectorConfig

        active = Connection.objects.select_for_update().filter(pk=self.connection.pk, state=Connection.State.ACTIVE)
        if not list(active.values_list("pk", flat=True)):
            raise RunStopped()
        if not ConnectorConfig.objects.filter(pk=self.config.pk, enabled=True).exists():
            raise RunStopped()

    def record(
        self, *, kind: str, action: str, direction: str, local_id: int | None = None,
        tripletex_id: int | None = None, label: str = "", rule: str = "", message: str = "", request_id: str = "",
    ) -> SyncRecord:
        from ..models import SyncRecord

        return SyncRecord.objects.create(
            tenant=self.tenant, run=self.run, object_kind=kind, action=action, direction=direction,
            local_id=local_id, tripletex_id=tripletex_id, label=label[:300], rule=str(rule)[:300],
            message=message, request_id=request_id or "",
        )


def fields_hash(values: dict) -> str:
    """A stable hash of the synced fields of one side, to tell our own echo from a real change."""
    canonical = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
