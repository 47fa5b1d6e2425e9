"""State changes of the connector platform: switch a connector on or off, ask for a run, record a local change.

The handlers' work against Tripletex is in `runner`; this module only writes our own rows and enqueues
tasks on commit, so it is safe to call from a page, the command line or another service's transaction.
"""
from __future__ import annotations


from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tenants.models import Tenant, User

from ..models import Connection, ConnectorConfig, Link, OutboundChange, SyncRecord, SyncRun
from . import registry
from .base import Connector
from .runner import sync_run_finish


class UnknownConnector(ValueError):
    pass


def _connector(name: str) -> Connector:
    connector = registry.get(name)
    if connector is None:
        raise UnknownConnector(name)
    return connector


def connector_config_get(*, tenant: Tenant, name: str) -> ConnectorConfig:
    """The company's config row for a connector (made, switched off, on first use)."""
    connector = _connector(name)
    config, _ = ConnectorConfig.objects.get_or_create(
        tenant=tenant, name=name, defaults={"options": connector.default_options()},
    )
    return config


@transaction.atomic
def connector_enable(*, tenant: Tenant, name: str, by: User | None, options: dict | None = None) -> ConnectorConfig:
    """Switch a connector on and start its first run (a full read: it has no watermark yet).

    Refused (`ActionRefused`) while a connector it excludes is on: both would own the same rows.
    """
    connector = _connector(name)
    config = ConnectorConfig.objects.select_for_update().get(pk=connector_config_get(tenant=tenant, name=name).pk)
    conflicts = registry.conflicts_of(name)
    enabled = set(ConnectorConfig.objects.filter(
        tenant=tenant, name__in=[c.name for c in conflicts], enabled=True).values_list("name", flat=True))
    on = [c for c in conflicts if c.name in enabled]
    if on and not config.enabled:
        raise ActionRefused(_("«%(title)s» kan ikke slås på mens «%(other)s» er på: begge ville eie de samme "
                              "kundene. Slå av «%(other)s» først.") % {"title": connector.title, "other": on[0].title})
    if options is not None:
        config.options = options
    was_enabled = config.enabled
    config.enabled = True
    config.save()
    if not was_enabled:
        transaction.on_commit(lambda: _enqueue_subscriptions_sync(tenant_id=tenant.id), robust=True)
        if connector.reconcile is not None:
            connector_run_request(tenant=tenant, name=name, trigger=SyncRun.Trigger.MANUAL, by=by)
    return config


@transaction.atomic
def connector_disable(*, tenant: Tenant, name: str, by: User | None) -> ConnectorConfig:
    """Switch a connector off: nothing more is sent or read for it; its links and log stay."""
    _connector(name)
    config = ConnectorConfig.objects.select_for_update().get(pk=connector_config_get(tenant=tenant, name=name).pk)
    if config.enabled:
        config.enabled = False
        config.save(update_fields=["enabled", "updated_at"])
        transaction.on_commit(lambda: _enqueue_subscriptions_sync(tenant_id=tenant.id), robust=True)
    return config


@transaction.atomic
def connector_options_update(*, tenant: Tenant, name: str, options: dict) -> ConnectorConfig:
    config = ConnectorConfig.objects.select_for_update().get(pk=connector_config_get(tenant=tenant, name=name).pk)
    config.options = options
    config.save(update_fields=["options", "updated_at"])
    return config


def connector_run_request(*, tenant: Tenant, name: str, trigger: str, by: User | None = None) -> SyncRun:
    """A reconcile run, queued: "Synkroniser nå", the schedule, or a connector switched on."""
    _connector(name)
    run = SyncRun.objects.create(
        tenant=tenant, kind=SyncRun.Kind.CONNECTOR, connector=name, trigger=trigger, started_by=by,
    )
    transaction.on_commit(lambda: _enqueue_run(run_id=run.id), robust=True)
    return run


def enabled_connectors(*, tenant: Tenant) -> list[Connector]:
    """Connectors switched on for the company; empty while its Tripletex connection is not set up. While it waits
    for a new key they stay on: local changes are recorded and wait, and go with the new key."""
    connection = Connection.objects.filter(tenant=tenant).first()
    if connection is None or not connection.is_connected:
        return []
    names = set(ConnectorConfig.objects.filter(tenant=tenant, enabled=True).values_list("name", flat=True))
    return [c for c in registry.all_connectors() if c.name in names]


def local_change_record(
    *, tenant: Tenant, kind: str, local_id: int, op: str = OutboundChange.Op.UPSERT, snapshot: dict | None = None,
) -> OutboundChange | None:
    """Call in the transaction that changed the row: queue it for Tripletex if a switched-on connector owns it.

    Without such a connector nothing is written and nothing is sent. A change already waiting for the
    same row is reused (its op updated), so quick successive edits are sent once, in their latest state.
    """
    if not _owners_enabled(tenant, kind):
        return None
    now = timezone.now()
    pending = OutboundChange.objects.filter(
        tenant=tenant, kind=kind, local_id=local_id, state=OutboundChange.State.PENDING,
    ).first()
    if pending is not None:
        pending.op = op
        if snapshot is not None:
            pending.snapshot = snapshot
        pending.save(update_fields=["op", "snapshot", "updated_at"])
        change = pending
    else:
        try:
            with transaction.atomic():
                change = OutboundChange.objects.create(
                    tenant=tenant, kind=kind, local_id=local_id, op=op, snapshot=snapshot or {}, next_attempt_at=now,
                )
        except IntegrityError:
            # Another transaction queued the same row a moment ago; that one will send the latest state.
            return None
    transaction.on_commit(lambda: _enqueue_push(tenant_id=tenant.id), robust=True)
    return change


def _enqueue_run(*, run_id: int) -> None:
    from ..tasks import connector_run

    connector_run.delay(run_id=run_id)


# Quick successive changes of one company share one push: the first queues it this long after, and every change
# committed before it runs rides on it (its key outlives none of them). Per process is enough: each process's
# held-back changes are in the push that process queued. One task per change flooded the broker at scale.
PUSH_GATHER_S = 1


def _enqueue_push(*, tenant_id: int) -> None:
    from django.core.cache import cache

    from ..tasks import push_local_changes

    if cache.add(f"connectors:push-queued:{tenant_id}", 1, timeout=PUSH_GATHER_S):
        push_local_changes.apply_async(kwargs={"tenant_id": tenant_id}, countdown=PUSH_GATHER_S)


def _enqueue_subscriptions_sync(*, tenant_id: int) -> None:
    from ..tasks import webhook_subscriptions_sync

    webhook_subscriptions_sync.delay(tenant_id=tenant_id)


class ActionRefused(Exception):
    """An admin's button cannot do what it says right now; `message` says why, in their words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Stored as the rule of a log record in Norwegian, like every rule, and translated when the log is shown.
RULE_LINK_RESTORED = gettext_noop("Koblingen er gjenopprettet av en administrator")


def _owners_enabled(tenant: Tenant, kind: str) -> list[Connector]:
    return registry.senders_of(kind, enabled={c.name for c in enabled_connectors(tenant=tenant)})


@transaction.atomic
def sync_record_retry(*, tenant: Tenant, record_id: int) -> SyncRecord:
    """"Prøv igjen" on a failed record: a change to Tripletex is sent again, one from Tripletex is read again."""
    record = SyncRecord.objects.select_related("run").get(tenant=tenant, id=record_id)
    if record.action != SyncRecord.Action.FAILED or record.run.kind != SyncRun.Kind.CONNECTOR:
        raise ActionRefused(_("Bare rader som feilet i en integrasjon kan prøves igjen."))
    if record.run.trigger == SyncRun.Trigger.STARTUP:
        raise ActionRefused(_("Kjør oppstartssynkroniseringen på nytt for å prøve igjen: det som allerede er hentet, "
                              "opprettes ikke en gang til."))
    if record.direction == SyncRecord.Direction.TO_TRIPLETEX and record.local_id is not None:
        _retry_outbound(tenant, record)
    elif record.direction == SyncRecord.Direction.FROM_TRIPLETEX and record.tripletex_id is not None:
        _retry_inbound(tenant, record)
    else:
        raise ActionRefused(_("Denne raden sier ikke hvilket objekt som skal prøves igjen."))
    return record


def _retry_outbound(tenant: Tenant, record: SyncRecord) -> None:
    """The row's failed change goes back to pending (or a new change is queued); the push sends its state now."""
    if not _owners_enabled(tenant, record.object_kind):
        raise ActionRefused(_("Kan ikke sendes på nytt: integrasjonen som sender dette er slått av, eller Tripletex "
                              "er ikke koblet til."))
    rows = OutboundChange.objects.filter(tenant=tenant, kind=record.object_kind, local_id=record.local_id)
    now = timezone.now()
    # A change already waiting (perhaps backing off after an error) carries the latest state: it goes now.
    if not rows.filter(state=OutboundChange.State.PENDING).update(next_attempt_at=now, updated_at=now):
        failed = rows.select_for_update().filter(state=OutboundChange.State.FAILED).order_by("-id").first()
        if failed is None:
            local_change_record(tenant=tenant, kind=record.object_kind, local_id=record.local_id,
                                snapshot={"label": record.label})
            return  # it queues the push itself
        try:
            with transaction.atomic():
                rows.filter(id=failed.id).update(
                    state=OutboundChange.State.PENDING, attempts=0, next_attempt_at=now, message="", request_id="",
                    updated_at=now,
                )
        except IntegrityError:
            pass  # a newer change of the row was queued meanwhile; it carries the latest state
    transaction.on_commit(lambda: _enqueue_push(tenant_id=tenant.id), robust=True)


def _retry_inbound(tenant: Tenant, record: SyncRecord) -> None:
    connector = registry.get(record.run.connector)
    switched_on = connector is not None and connector in enabled_connectors(tenant=tenant)
    if not switched_on or connector.handle_remote_change is None:
        raise ActionRefused(_("Kan ikke leses på nytt: integrasjonen er slått av, eller Tripletex er ikke koblet til."))
    kind, tripletex_id = record.object_kind, record.tripletex_id
    name = connector.name
    transaction.on_commit(
        lambda: _enqueue_reread(tenant_id=tenant.id, connector_name=name, kind=kind, tripletex_id=tripletex_id),
        robust=True,
    )


@transaction.atomic
def link_restore(*, tenant: Tenant, link_id: int, by: User | None) -> Link:
    """"Gjenopprett kobling" (seed 000): a link cut on purpose is live again, and the row is sent to Tripletex."""
    link = Link.objects.select_for_update().get(tenant=tenant, id=link_id)
    if link.state != Link.State.BROKEN:
        raise ActionRefused(_("Koblingen er ikke brutt."))
    owners = _owners_enabled(tenant, link.kind)
    if not owners:
        raise ActionRefused(_("Kan ikke gjenopprettes nå: integrasjonen som synkroniserer dette er slått av, eller "
                              "Tripletex er ikke koblet til."))
    link.state = Link.State.LINKED
    # Forget the hash of what we last sent, so the row's state now is sent, not taken for "nothing changed".
    link.local_hash = ""
    link.save(update_fields=["state", "local_hash", "updated_at"])
    label = (
        SyncRecord.objects.filter(tenant=tenant, object_kind=link.kind, local_id=link.local_id)
        .exclude(label="").order_by("-id").values_list("label", flat=True).first() or ""
    )
    # A change made here, like an edit: not a sync, so the connector's card keeps showing its last sync.
    run = SyncRun.objects.create(
        tenant=tenant, kind=SyncRun.Kind.CONNECTOR, connector=owners[0].name, trigger=SyncRun.Trigger.LOCAL_CHANGE,
        started_by=by,
    )
    SyncRecord.objects.create(
        tenant=tenant, run=run, object_kind=link.kind, local_id=link.local_id, tripletex_id=link.tripletex_id,
        label=label, action=SyncRecord.Action.LINKED, rule=RULE_LINK_RESTORED,
    )
    sync_run_finish(run)
    local_change_record(tenant=tenant, kind=link.kind, local_id=link.local_id, snapshot={"label": label})
    return link


def _enqueue_reread(*, tenant_id: int, connector_name: str, kind: str, tripletex_id: int) -> None:
    from ..tasks import connector_reread

    connector_reread.delay(tenant_id=tenant_id, connector_name=connector_name, kind=kind, tripletex_id=tripletex_id)
