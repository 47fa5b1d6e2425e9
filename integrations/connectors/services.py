"""State changes of the connector platform: switch a connector on or off, ask for a run, record a local change.

The handlers' work against Tripletex is in `runner`; this module only writes our own rows and enqueues
tasks on commit, so it is safe to call from a page, the command line or another service's transaction.
"""
from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from tenants.models import Tenant, User

from ..models import Connection, ConnectorConfig, OutboundChange, SyncRun
from . import registry
from .base import Connector


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
    """Switch a connector on and start its first run (a full read: it has no watermark yet)."""
    connector = _connector(name)
    config = ConnectorConfig.objects.select_for_update().get(pk=connector_config_get(tenant=tenant, name=name).pk)
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


def connector_runs_request_scheduled() -> list[SyncRun]:
    """The nightly safety net: a reconcile run for every connector switched on for an active connection.

    Catches whatever webhooks did not bring (no public address, a lost delivery). A connector whose run of
    the last day has not finished yet gets no second one. Runs unscoped.
    """
    since = timezone.now() - dt.timedelta(days=1)
    active = Connection.objects.filter(state=Connection.State.ACTIVE).values("tenant")
    reconciling = {c.name for c in registry.all_connectors() if c.reconcile is not None}
    runs = []
    for config in ConnectorConfig.objects.filter(tenant__in=active, enabled=True, name__in=reconciling).select_related("tenant"):
        busy = SyncRun.objects.filter(
            tenant_id=config.tenant_id, kind=SyncRun.Kind.CONNECTOR, connector=config.name, status=SyncRun.Status.RUNNING,
            trigger__in=[SyncRun.Trigger.SCHEDULE, SyncRun.Trigger.MANUAL], created_at__gte=since,
        ).exists()
        if not busy:
            runs.append(connector_run_request(tenant=config.tenant, name=config.name, trigger=SyncRun.Trigger.SCHEDULE))
    return runs


def enabled_connectors(*, tenant: Tenant) -> list[Connector]:
    """Connectors switched on for the company; empty while its Tripletex connection is not active."""
    connection = Connection.objects.filter(tenant=tenant).first()
    if connection is None or not connection.is_active:
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
    if not any(kind in c.kinds for c in enabled_connectors(tenant=tenant)):
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


def _enqueue_push(*, tenant_id: int) -> None:
    from ..tasks import push_local_changes

    push_local_changes.delay(tenant_id=tenant_id)


def _enqueue_subscriptions_sync(*, tenant_id: int) -> None:
    from ..tasks import webhook_subscriptions_sync

    webhook_subscriptions_sync.delay(tenant_id=tenant_id)
