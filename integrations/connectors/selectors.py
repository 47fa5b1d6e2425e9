"""Reads for the Integrasjoner page and the Synkroniseringslogg: connector cards, their last runs, the log."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant

from ..models import Connection, ConnectorConfig, Link, SyncRecord, SyncRun
from . import registry
from .base import Connector

# A reconcile still "running" after this long belongs to a worker that died or a lost task: it no longer
# blocks "Synkroniser nå", or the admin could never start one again.
RUN_STALE_AFTER = dt.timedelta(minutes=30)

# Run triggers that read the whole of Tripletex since the watermark (not one object, not one local change).
RECONCILE_TRIGGERS = (SyncRun.Trigger.MANUAL, SyncRun.Trigger.SCHEDULE)

ACTION_ORDER = (
    SyncRecord.Action.CREATED, SyncRecord.Action.UPDATED, SyncRecord.Action.LINKED, SyncRecord.Action.DELETED,
    SyncRecord.Action.UNCHANGED, SyncRecord.Action.SKIPPED, SyncRecord.Action.FAILED,
)

# What a record is about, in the admin's words. Hours records are the hours push's.
HOURS = "hours"
KIND_LABELS = {**dict(Link.Kind.choices), HOURS: _("Timer")}

# The log's "Integrasjon" filter: each connector by name, and the two sources that are not connectors.
SOURCE_HOURS = "timeoverforing"
SOURCE_WIZARD = "veiviser"
HOURS_RUN_KINDS = (SyncRun.Kind.HOURS, SyncRun.Kind.HOURS_EXPORT)
WIZARD_RUN_KINDS = (SyncRun.Kind.ACTIVATION, SyncRun.Kind.REFRESH)


@dataclass
class ConnectorCard:
    connector: Connector
    enabled: bool
    options: dict
    last_run: SyncRun | None
    running: bool
    counts: list[dict]

    @property
    def syncable(self) -> bool:
        """It has a reconcile to run ("Synkroniser nå"); a template cannot ask, it would call the handler."""
        return self.connector.reconcile is not None


def connection_active(*, tenant: Tenant) -> bool:
    connection = Connection.objects.filter(tenant=tenant).first()
    return bool(connection and connection.is_active)


def last_reconcile_run(*, tenant: Tenant, name: str) -> SyncRun | None:
    runs = SyncRun.objects.filter(
        tenant=tenant, kind=SyncRun.Kind.CONNECTOR, connector=name, trigger__in=RECONCILE_TRIGGERS,
    )
    return runs.select_related("started_by").order_by("-created_at", "-id").first()


def run_in_progress(run: SyncRun | None) -> bool:
    return bool(run and run.status == SyncRun.Status.RUNNING and run.created_at > timezone.now() - RUN_STALE_AFTER)


def run_counts(run: SyncRun | None) -> list[dict]:
    """Per action, how many records: from the summary of a finished run, counted live while it runs."""
    if run is None:
        return []
    counts = (run.summary or {}).get("counts")
    if counts is None or run.status == SyncRun.Status.RUNNING:
        counts = dict(run.records.values_list("action").annotate(n=Count("id")).values_list("action", "n"))
    labels = dict(SyncRecord.Action.choices)
    return [{"action": a, "label": labels[a], "n": counts[a]} for a in ACTION_ORDER if counts.get(a)]


def connector_card(*, tenant: Tenant, connector: Connector, config: ConnectorConfig | None = None) -> ConnectorCard:
    if config is None:
        config = ConnectorConfig.objects.filter(tenant=tenant, name=connector.name).first()
    run = last_reconcile_run(tenant=tenant, name=connector.name)
    return ConnectorCard(
        connector=connector, enabled=bool(config and config.enabled),
        options=config.options if config is not None else connector.default_options(),
        last_run=run, running=run_in_progress(run), counts=run_counts(run),
    )


def connector_cards(*, tenant: Tenant) -> list[ConnectorCard]:
    configs = {c.name: c for c in ConnectorConfig.objects.filter(tenant=tenant)}
    return [
        connector_card(tenant=tenant, connector=c, config=configs.get(c.name))
        for c in sorted(registry.all_connectors(), key=lambda c: str(c.title))
    ]


def source_choices() -> list[tuple[str, str]]:
    return [
        *[(c.name, c.title) for c in sorted(registry.all_connectors(), key=lambda c: str(c.title))],
        (SOURCE_HOURS, _("Timeoverføring")),
        (SOURCE_WIZARD, _("Aktiveringsveiviseren")),
    ]


def run_source(run: SyncRun) -> str:
    """What a run belongs to, in the admin's words: the connector's title, or the kind of run."""
    if run.connector:
        connector = registry.get(run.connector)
        return str(connector.title) if connector is not None else run.connector
    return run.get_kind_display()


def sync_records(
    *, tenant: Tenant, source: str = "", run_id: int | None = None, kind: str = "", action: str = "",
    direction: str = "", q: str = "",
) -> QuerySet[SyncRecord]:
    """The company's log, newest first, narrowed by whichever filters are given."""
    records = SyncRecord.objects.filter(tenant=tenant).select_related("run", "run__started_by")
    if source == SOURCE_HOURS:
        records = records.filter(run__kind__in=HOURS_RUN_KINDS)
    elif source == SOURCE_WIZARD:
        records = records.filter(run__kind__in=WIZARD_RUN_KINDS)
    elif source:
        records = records.filter(run__kind=SyncRun.Kind.CONNECTOR, run__connector=source)
    if run_id is not None:
        records = records.filter(run_id=run_id)
    if kind:
        records = records.filter(object_kind=kind)
    if action:
        records = records.filter(action=action)
    if direction:
        records = records.filter(direction=direction)
    if q:
        records = records.filter(Q(label__icontains=q) | Q(message__icontains=q) | Q(rule__icontains=q))
    return records.order_by("-created_at", "-id")


def can_retry(record: SyncRecord) -> bool:
    """A failed record of a connector run can be tried again: sent again, or read again from Tripletex."""
    if record.action != SyncRecord.Action.FAILED or record.run.kind != SyncRun.Kind.CONNECTOR:
        return False
    if record.run.trigger == SyncRun.Trigger.STARTUP:
        return False  # the start-up copy is tried again by running it again (it creates nothing twice)
    if record.direction == SyncRecord.Direction.TO_TRIPLETEX:
        return record.local_id is not None
    if record.direction == SyncRecord.Direction.FROM_TRIPLETEX:
        return record.tripletex_id is not None and bool(record.run.connector)
    return False


def broken_links(*, tenant: Tenant, records: list[SyncRecord]) -> dict[int, int]:
    """{record id: id of its broken link}, in one query for a page of records."""
    kinds = {r.object_kind for r in records} & set(Link.Kind.values)
    if not kinds:
        return {}
    locals_ = {r.local_id for r in records if r.local_id is not None}
    remotes = {r.tripletex_id for r in records if r.tripletex_id is not None}
    links = Link.objects.filter(tenant=tenant, state=Link.State.BROKEN, kind__in=kinds).filter(
        Q(local_id__in=locals_) | Q(tripletex_id__in=remotes)
    )
    connection = Connection.objects.filter(tenant=tenant).first()
    if connection and connection.tripletex_company_id:
        links = links.filter(tripletex_company_id=connection.tripletex_company_id)
    by_local = {(link.kind, link.local_id): link.id for link in links}
    by_remote = {(link.kind, link.tripletex_id): link.id for link in links}
    found = {}
    for r in records:
        link_id = by_local.get((r.object_kind, r.local_id)) or by_remote.get((r.object_kind, r.tripletex_id))
        if link_id:
            found[r.id] = link_id
    return found
