"""The nightly reconcile: each company at its own time between 01:00 and 05:00 (Oslo), once a day.

The time is derived from the company's id, so companies are spread over the night and Tripletex never
sees them all at once, and a company's time stays the same from night to night.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

from django.utils import timezone
from django_scopes import scope, scopes_disabled

from tenants.models import Tenant

from ..models import Connection, ConnectorConfig, SyncRun
from . import registry, remote_changes
from .services import connector_run_request

NIGHT_STARTS = dt.time(1, 0)
NIGHT_MINUTES = 4 * 60


def nightly_slot(tenant_id: int) -> dt.time:
    minutes = int(hashlib.sha256(f"nightly:{tenant_id}".encode()).hexdigest(), 16) % NIGHT_MINUTES
    start = dt.datetime.combine(dt.date(2000, 1, 1), NIGHT_STARTS)
    return (start + dt.timedelta(minutes=minutes)).time()


def nightly_runs_request(*, now: dt.datetime | None = None) -> list[SyncRun]:
    """For every active company whose time has come tonight: a reconcile run per switched-on connector that
    has one, or, with no two-way connector on, the look for "Endret i Tripletex" — each at most once a day."""
    local_now = timezone.localtime(now or timezone.now())
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    with scopes_disabled():
        due = [t for t in Connection.objects.filter(state=Connection.State.ACTIVE).values_list("tenant_id", flat=True)
               if nightly_slot(t) <= local_now.time()]
        if not due:
            return []
        done = set(SyncRun.objects.filter(
            tenant_id__in=due, trigger=SyncRun.Trigger.SCHEDULE, created_at__gte=midnight,
        ).values_list("tenant_id", "connector"))
        enabled: dict[int, set[str]] = defaultdict(set)
        for tenant_id, name in ConnectorConfig.objects.filter(tenant_id__in=due, enabled=True).values_list(
                "tenant_id", "name"):
            enabled[tenant_id].add(name)
        tenants = Tenant.objects.in_bulk(due)
    runs = []
    for tenant_id in due:
        with scope(tenant=tenants[tenant_id]):
            runs += _request(tenants[tenant_id], enabled[tenant_id], done)
    return runs


def _request(tenant: Tenant, enabled: set[str], done: set[tuple[int, str]]) -> list[SyncRun]:
    runs = []
    for connector in registry.all_connectors():
        if connector.name in enabled and connector.reconcile is not None and (tenant.id, connector.name) not in done:
            runs.append(connector_run_request(tenant=tenant, name=connector.name, trigger=SyncRun.Trigger.SCHEDULE))
    if (tenant.id, remote_changes.NAME) not in done and remote_changes.needed(tenant=tenant):
        runs.append(remote_changes.remote_changes_request(tenant=tenant))
    return runs


# A run still going after this long belongs to a worker that died; the schedule does not wait for it.
RUN_STUCK_AFTER = dt.timedelta(hours=1)


def interval_runs_request(*, now: dt.datetime | None = None) -> list[SyncRun]:
    """A scheduled run for each switched-on connector whose `interval_minutes` option has passed since its
    last run (scheduled or "Synkroniser nå"), unless one is still going."""
    now = now or timezone.now()
    with scopes_disabled():
        active = Connection.objects.filter(state=Connection.State.ACTIVE).values("tenant_id")
        configs = [c for c in ConnectorConfig.objects.filter(enabled=True, tenant_id__in=active)
                   if isinstance((c.options or {}).get("interval_minutes"), int) and c.options["interval_minutes"] > 0]
        due = []
        for config in configs:
            last = SyncRun.objects.filter(
                tenant_id=config.tenant_id, kind=SyncRun.Kind.CONNECTOR, connector=config.name,
                trigger__in=(SyncRun.Trigger.SCHEDULE, SyncRun.Trigger.MANUAL),
            ).order_by("-created_at").first()
            if last is not None and last.status == SyncRun.Status.RUNNING and last.created_at > now - RUN_STUCK_AFTER:
                continue
            if last is None or last.created_at <= now - dt.timedelta(minutes=config.options["interval_minutes"]):
                due.append(config)
        tenants = Tenant.objects.in_bulk({c.tenant_id for c in due})
    runs = []
    for config in due:
        if registry.get(config.name) is None or registry.get(config.name).reconcile is None:
            continue
        with scope(tenant=tenants[config.tenant_id]):
            runs.append(connector_run_request(tenant=tenants[config.tenant_id], name=config.name,
                                              trigger=SyncRun.Trigger.SCHEDULE))
    return runs
