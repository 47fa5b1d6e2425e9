"""What the operations page shows, across every company: only the platform's operator sees it.

Each read is one grouped query (or one broker round trip per queue), so the page costs the same for ten
companies as for a thousand.
"""
import datetime as dt
from dataclasses import dataclass

from amqp.exceptions import ChannelError
from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django_scopes import scopes_disabled

from config.celery_app import app as celery_app
from integrations.models import Connection, HourTransfer, OutboundChange, SyncRun, WebhookDelivery
from tenants.models import Tenant

# Seconds the page waits for the broker before it shows the queues as unknown.
BROKER_TIMEOUT = 2.0
# A run that failed within this many hours counts as a recent failure.
RECENT_HOURS = 24


@dataclass
class QueueDepth:
    name: str
    # Messages waiting for a worker; None when the broker did not answer. Tasks with a countdown that a
    # worker already holds are not counted.
    depth: int | None


def queue_names() -> list[str]:
    return list(dict.fromkeys([settings.CELERY_TASK_DEFAULT_QUEUE, settings.HOURS_QUEUE, settings.CONNECTORS_QUEUE]))


def queue_depths() -> list[QueueDepth]:
    names = queue_names()
    try:
        with celery_app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT)
            channel = connection.default_channel
            depths = []
            for name in names:
                try:
                    depths.append(QueueDepth(name, channel.queue_declare(queue=name, passive=True).message_count))
                except ChannelError:
                    # The broker has never seen the queue: nothing was ever sent to it.
                    depths.append(QueueDepth(name, 0))
            return depths
    except Exception:
        return [QueueDepth(name, None) for name in names]


@dataclass
class Backlog:
    tenant: Tenant
    hours_waiting: int
    hours_failed: int
    hours_held: int
    oldest_hour_waiting: dt.datetime | None
    changes_waiting: int
    changes_failed: int
    webhooks_waiting: int

    @property
    def trouble(self) -> bool:
        return bool(self.hours_failed or self.changes_failed)


def outbox_backlog() -> list[Backlog]:
    """Per company with anything outstanding: hours and master-data changes not yet in Tripletex, and webhook
    deliveries not yet processed. Companies with nothing outstanding are left out."""
    waiting = [HourTransfer.State.PENDING, HourTransfer.State.SENDING]
    with scopes_disabled():
        hours = {
            row["tenant_id"]: row
            for row in HourTransfer.objects.filter(
                state__in=[*waiting, HourTransfer.State.FAILED, HourTransfer.State.HELD]
            ).values("tenant_id").annotate(
                waiting=Count("id", filter=Q(state__in=waiting)),
                failed=Count("id", filter=Q(state=HourTransfer.State.FAILED)),
                held=Count("id", filter=Q(state=HourTransfer.State.HELD)),
                oldest=Min("created_at", filter=Q(state__in=waiting)),
            ).order_by()
        }
        changes = {
            row["tenant_id"]: row
            for row in OutboundChange.objects.exclude(state=OutboundChange.State.DONE).values("tenant_id").annotate(
                waiting=Count("id", filter=Q(state__in=[OutboundChange.State.PENDING, OutboundChange.State.SENDING])),
                failed=Count("id", filter=Q(state=OutboundChange.State.FAILED)),
            ).order_by()
        }
        webhooks = dict(
            WebhookDelivery.objects.filter(processed_at__isnull=True).values("tenant_id").annotate(n=Count("id"))
            .order_by().values_list("tenant_id", "n")
        )
        tenants = Tenant.objects.in_bulk({*hours, *changes, *webhooks})
    backlog = []
    for tenant_id, tenant in tenants.items():
        h, c = hours.get(tenant_id, {}), changes.get(tenant_id, {})
        backlog.append(Backlog(
            tenant=tenant, hours_waiting=h.get("waiting", 0), hours_failed=h.get("failed", 0),
            hours_held=h.get("held", 0), oldest_hour_waiting=h.get("oldest"), changes_waiting=c.get("waiting", 0),
            changes_failed=c.get("failed", 0), webhooks_waiting=webhooks.get(tenant_id, 0),
        ))
    return sorted(backlog, key=lambda b: (not b.trouble, b.tenant.name))


@dataclass
class LastRun:
    run: SyncRun
    recent_failures: int

    @property
    def trouble(self) -> bool:
        return self.run.status in (SyncRun.Status.FAILED, SyncRun.Status.PARTIAL) or self.recent_failures > 0


def last_runs() -> list[LastRun]:
    """The last run of each kind of work (each connector on its own) per company, and how many of its runs
    failed in the last RECENT_HOURS; trouble first."""
    since = timezone.now() - dt.timedelta(hours=RECENT_HOURS)
    failed = [SyncRun.Status.FAILED, SyncRun.Status.PARTIAL]
    with scopes_disabled():
        groups = list(
            SyncRun.objects.values("tenant_id", "kind", "connector").annotate(
                last=Max("id"), failures=Count("id", filter=Q(status__in=failed, created_at__gte=since)),
            ).order_by()
        )
        runs = SyncRun.objects.select_related("tenant").in_bulk([g["last"] for g in groups])
    rows = [LastRun(run=runs[g["last"]], recent_failures=g["failures"]) for g in groups]
    return sorted(rows, key=lambda r: (not r.trouble, r.run.tenant.name, r.run.kind, r.run.connector))


def connections_needing_a_key() -> list[Connection]:
    """Companies whose Tripletex key was refused: nothing goes to Tripletex until their admin enters a new one."""
    with scopes_disabled():
        return list(Connection.objects.filter(state=Connection.State.NEEDS_TOKEN).select_related("tenant")
                    .order_by("token_refused_at"))
