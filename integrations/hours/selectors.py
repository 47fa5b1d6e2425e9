"""Reads about the hours push for the pages: per-entry transfer state, the status card, runs and problems."""
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery

from tenants.models import Tenant

from ..models import HourTransfer, SyncRun
from .slots import THEIRS

State = HourTransfer.State
# Rows that need the admin: failed, locked in Tripletex, held for a link, and hours that went without their
# count per wage type (a sent row keeps a reason only then).
NEEDS_ADMIN = Q(state__in=(State.FAILED, State.LOCKED, State.HELD)) | (Q(state=State.SENT) & ~Q(reason=""))


def with_transfer_state(entries: QuerySet) -> QuerySet:
    """TimeEntry rows annotated with their newest outbox row's state, action and reason (None: never approved)."""
    newest = HourTransfer.objects.filter(tenant_id=OuterRef("tenant_id"), local_entry_id=OuterRef("id")).order_by("-id")
    return entries.annotate(
        transfer_state=Subquery(newest.values("state")[:1]),
        transfer_action=Subquery(newest.values("action")[:1]),
        transfer_reason=Subquery(newest.values("reason")[:1]),
    )


def hours_status(*, tenant: Tenant) -> dict:
    """The status card's line about hours: when the last ones went, and what waits or needs the admin."""
    rows = HourTransfer.objects.filter(tenant=tenant).exclude(local_entry_id=THEIRS)
    counts = dict(rows.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    return {
        "last_sent_at": rows.filter(state=State.SENT).aggregate(at=Max("sent_at"))["at"],
        "waiting": counts.get(State.PENDING, 0) + counts.get(State.SENDING, 0),
        "sent": counts.get(State.SENT, 0),
        "failed": counts.get(State.FAILED, 0),
        "locked": counts.get(State.LOCKED, 0),
        "held": counts.get(State.HELD, 0),
        "without_count": rows.filter(state=State.SENT).exclude(reason="").count(),
        "last_run": SyncRun.objects.filter(tenant=tenant, kind__in=(SyncRun.Kind.HOURS, SyncRun.Kind.HOURS_EXPORT))
        .order_by("-created_at").first(),
    }


def hours_runs(*, tenant: Tenant, limit: int = 30) -> QuerySet[SyncRun]:
    return SyncRun.objects.filter(tenant=tenant, kind__in=(SyncRun.Kind.HOURS, SyncRun.Kind.HOURS_EXPORT)).annotate(
        n_records=Count("records")
    ).order_by("-created_at")[:limit]


def hours_problems(*, tenant: Tenant, limit: int = 200) -> QuerySet[HourTransfer]:
    """Rows that need the admin (`NEEDS_ADMIN`), with Tripletex's message; locked ones are correction tasks of
    their own (`corrections`)."""
    return HourTransfer.objects.filter(tenant=tenant).filter(NEEDS_ADMIN).exclude(state=State.LOCKED).select_related(
        "entry__employee", "entry__project", "entry__activity", "slot"
    ).order_by("state", "-updated_at")[:limit]
