"""Locked periods as correction tasks: hours Tripletex refused because their period is approved or closed there.

Each waits on Timeoverføring saying what was refused and who approved the period in Tripletex (who can open
it again). The schedule looks at the period again — one month-status read per month with locked hours, for
all their employees at once, never a write — and the hours go as soon as Tripletex has opened it; «Prøv
igjen» sends them at once; an admin who put them into Tripletex by hand marks them so, and that is logged.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from tenants.models import Tenant, User

from ..clients import pooled_client_for_connection
from ..models import Connection, HourTransfer, Link, SyncRecord, SyncRun
from ..services import connection_token_refused, is_key_refusal
from ..tripletex import TripletexError
from . import enqueue_push_on_commit
from .slots import Batch, locked_days
from .wages import WAGE_LOCKED

logger = logging.getLogger("integrations.hours")

State = HourTransfer.State
# Rows a locked period holds back: hours (or their removal) refused, or only their count per wage type.
LOCKED = Q(state=State.LOCKED) | Q(state=State.SENT, reason=WAGE_LOCKED)
# Stored as msgids, translated where shown.
REASON_HANDLED = gettext_noop("ordnet for hånd i Tripletex")
RULE_HANDLED = gettext_noop("Markert som ordnet for hånd i Tripletex av en administrator")


def hour_corrections(*, tenant: Tenant) -> QuerySet[HourTransfer]:
    """The correction tasks on Timeoverføring: hours refused because their period is locked in Tripletex."""
    return HourTransfer.objects.filter(tenant=tenant, state=State.LOCKED).select_related(
        "entry__employee", "entry__project", "entry__activity", "slot"
    ).order_by("slot__date", "id")


def hours_locked_due(*, now: dt.datetime | None = None) -> list[int]:
    """Cross-company (call inside scopes_disabled): companies with an active connection and locked hours due
    for another look."""
    now = now or timezone.now()
    active = Connection.objects.filter(state=Connection.State.ACTIVE).values("tenant_id")
    due = HourTransfer.objects.filter(LOCKED, tenant_id__in=active).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return sorted(set(due.values_list("tenant_id", flat=True)))


def hour_corrections_recheck(*, tenant: Tenant) -> int:
    """Look again at the periods of the company's locked hours that are due: those Tripletex has opened go back in
    the queue (and the push is queued), the rest wait for the next look. Returns how many went back.

    Costs one `GET /timesheet/month/byMonthNumber` per month with locked hours. Must run in the company's scope.
    """
    connection = Connection.objects.filter(tenant=tenant).first()
    if connection is None or not connection.is_active:
        return 0
    now = timezone.now()
    rows = list(HourTransfer.objects.filter(LOCKED, tenant=tenant).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    ).select_related("slot"))
    if not rows:
        return 0
    employees = dict(Link.objects.filter(
        tenant=tenant, tripletex_company_id=connection.tripletex_company_id, kind=Link.Kind.EMPLOYEE,
        local_id__in={r.slot.employee_id for r in rows},
    ).values_list("local_id", "tripletex_id"))
    # The push's own client (same options), so a worker that pushes and looks shares one session.
    client = pooled_client_for_connection(connection, max_rate_limit_wait=settings.HOURS_RATE_LIMIT_WAIT)
    batch = Batch(tenant=tenant, company_id=connection.tripletex_company_id, client=client)
    days = {(employees[r.slot.employee_id], r.slot.date) for r in rows if r.slot.employee_id in employees}
    try:
        still_locked = locked_days(batch, days)
    except TripletexError as exc:
        if is_key_refusal(exc):
            connection_token_refused(connection=connection, exc=exc)
        logger.warning("locked hours of tenant %s not looked at: %s", tenant.id, exc)
        return 0
    opened, waiting = [], defaultdict(list)
    for row in rows:
        employee = employees.get(row.slot.employee_id)
        key = (employee, row.slot.date)
        if employee is not None and key not in still_locked and f"{row.slot.date:%Y-%m}" in batch.months_read:
            opened.append(row.id)
        else:
            waiting[batch.approvers.get((employee, f"{row.slot.date:%Y-%m}"), row.locked_by)].append(row.id)
    next_look = now + dt.timedelta(seconds=settings.HOURS_LOCKED_RECHECK)
    with transaction.atomic():
        for locked_by, ids in waiting.items():
            HourTransfer.objects.filter(id__in=ids).update(next_attempt_at=next_look, locked_by=locked_by,
                                                           updated_at=now)
        released = HourTransfer.objects.filter(LOCKED, id__in=opened).update(
            state=State.PENDING, reason="", attempts=0, next_attempt_at=None, claimed_by="", updated_at=now,
        )
        if released:
            enqueue_push_on_commit(tenant_id=tenant.id)
    return released


def hour_corrections_mark_handled(*, tenant: Tenant, ids: list[int], by: User) -> SyncRun | None:
    """"Ordnet for hånd i Tripletex": the admin put these locked hours into Tripletex (or took them out) by hand.
    They are done with here and never sent; a run in the log says who marked which."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(HourTransfer.objects.select_for_update().filter(
            tenant=tenant, id__in=ids, state=State.LOCKED
        ).select_related("slot"))
        if not rows:
            return None
        run = SyncRun.objects.create(
            tenant=tenant, kind=SyncRun.Kind.HOURS, trigger=SyncRun.Trigger.MANUAL, started_by=by,
            status=SyncRun.Status.SUCCEEDED, finished_at=now, summary={"handled": len(rows)},
        )
        HourTransfer.objects.filter(id__in=[r.id for r in rows]).update(
            state=State.HANDLED, reason=REASON_HANDLED, next_attempt_at=None, updated_at=now,
        )
        SyncRecord.objects.bulk_create([SyncRecord(
            tenant=tenant, run=run, object_kind="hours", local_id=row.local_entry_id,
            tripletex_id=row.slot.tripletex_id, label=f"{row.slot.date:%d.%m.%Y} · {row.hours} t",
            action=SyncRecord.Action.SKIPPED, rule=RULE_HANDLED, message=row.message, request_id=row.request_id,
        ) for row in rows])
    return run
