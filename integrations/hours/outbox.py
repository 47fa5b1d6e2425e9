"""The outbox: one `HourTransfer` row per approved entry, written in the approve/reject transaction.

Approving writes (or re-arms) a row on the entry's slot, rejecting or deleting turns its rows into pending
deletes; the admin's "Prøv igjen", a wizard refresh and the export per period (seed 004) put rows back in
the queue. Nothing here talks to Tripletex: the push (`push`) sends what these rows say.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from hr.models import TimeEntry
from tenants.models import Tenant, User

from ..models import HourSlot, HourTransfer, SyncRun
from .batch import HOLD_PROJECT
from .selectors import NEEDS_ADMIN
from .wages import HOLD_WAGE_TYPE, WAGE_NO_RIGHT

State, Action = HourTransfer.State, HourTransfer.Action

# Held because the admin chose at Ferdigstill to send hours only from a date. Stored as the msgid whatever
# language the admin uses (translated where shown), and only an export per period sends these rows.
REASON_BEFORE_START = gettext_noop("ikke sendt: datert før overføringen startet")


# The outbox writers: called inside the approve/reject transaction through integrations.hours.


def hour_transfers_record_approved(*, tenant: Tenant, entry_ids: list[int]) -> int:
    """Write (or re-arm) one outbox row per approved entry; a query count independent of how many."""
    entries = list(
        TimeEntry.objects.filter(tenant=tenant, id__in=entry_ids, status=TimeEntry.Status.APPROVED).values(
            "id", "employee_id", "date", "project_id", "activity_id", "wage_type_id", "hours", "comment"
        )
    )
    if not entries:
        return 0
    slots = _slots_for(tenant=tenant, entries=entries)
    existing = defaultdict(list)
    for row in HourTransfer.objects.filter(tenant=tenant, local_entry_id__in=[e["id"] for e in entries]):
        existing[row.local_entry_id].append(row)
    now = timezone.now()
    to_create, to_update = [], []
    for e in entries:
        slot = slots[_entry_key(e)]
        wage_slot = slots[_wage_key(e)] if e["wage_type_id"] else None
        mine = None
        for row in existing[e["id"]]:
            if row.slot_id == slot.id and row.wage_slot_id == (wage_slot.id if wage_slot else None) and mine is None:
                mine = row
            elif row.state != State.REMOVED and row.action != Action.DELETE:
                # The entry was edited onto another key since that row was written: take the old hours back.
                _rearm(row, action=Action.DELETE, now=now)
                to_update.append(row)
        if mine is None:
            to_create.append(HourTransfer(
                tenant=tenant, entry_id=e["id"], local_entry_id=e["id"], slot=slot, wage_slot=wage_slot,
                hours=e["hours"], comment=e["comment"][:500],
            ))
        else:
            mine.hours, mine.comment = e["hours"], e["comment"][:500]
            _rearm(mine, action=Action.UPSERT, now=now)
            to_update.append(mine)
    HourTransfer.objects.bulk_create(to_create)
    _save_rows(to_update)
    return len(entries)


def hour_transfers_record_unapproved(*, tenant: Tenant, entry_ids: list[int]) -> int:
    """A rejected (or deleted) entry's hours come out of Tripletex: its rows turn into pending deletes."""
    rows = list(HourTransfer.objects.filter(tenant=tenant, local_entry_id__in=entry_ids).exclude(state=State.REMOVED))
    now = timezone.now()
    for row in rows:
        _rearm(row, action=Action.DELETE, now=now)
    _save_rows(rows)
    return len(rows)


def hour_transfers_release_held(*, tenant: Tenant) -> int:
    """After a wizard refresh links more, or a new key came: held rows try again, and so do counts per wage type
    held back beside hours that went. Hours kept back by date at Ferdigstill stay until exported per period."""
    held = Q(state=State.HELD) | Q(state=State.SENT, reason__in=(HOLD_WAGE_TYPE, WAGE_NO_RIGHT))
    return HourTransfer.objects.filter(tenant=tenant).filter(held).exclude(reason=REASON_BEFORE_START).update(
        state=State.PENDING, reason="", attempts=0, next_attempt_at=None, updated_at=timezone.now()
    )


def hour_transfers_release_project(*, tenant: Tenant, project_id: int) -> int:
    """The project has just been linked (seed 004: made in Tripletex for its hours): the hours held for it go.
    Only those: hours held for another link, or kept back by date, stay as they are."""
    return HourTransfer.objects.filter(
        tenant=tenant, state=State.HELD, reason=HOLD_PROJECT, slot__project_id=project_id
    ).update(state=State.PENDING, reason="", attempts=0, next_attempt_at=None, updated_at=timezone.now())


def hour_transfers_waiting(*, tenant: Tenant, include_pending: bool) -> QuerySet[HourTransfer]:
    """Approved hours not yet in Tripletex that the next Ferdigstill would let go: held for a link, and, while
    the connection is not active (`include_pending`), queued. Failed and locked rows wait for the admin."""
    states = (State.PENDING, State.HELD) if include_pending else (State.HELD,)
    return HourTransfer.objects.filter(tenant=tenant, action=Action.UPSERT, state__in=states).exclude(
        reason=REASON_BEFORE_START
    )


def hour_transfers_hold_before(*, tenant: Tenant, before: dt.date, include_pending: bool) -> int:
    """Ferdigstill with "send hours from `before`": waiting hours dated earlier stay here, marked as not sent."""
    return hour_transfers_waiting(tenant=tenant, include_pending=include_pending).filter(slot__date__lt=before).update(
        state=State.HELD, reason=REASON_BEFORE_START, attempts=0, next_attempt_at=None, updated_at=timezone.now()
    )


def hour_transfers_retry(*, tenant: Tenant, ids: Iterable[int] | None = None) -> int:
    """"Prøv igjen": rows that need the admin go back in the queue with a fresh count of attempts."""
    qs = HourTransfer.objects.filter(tenant=tenant).filter(NEEDS_ADMIN).exclude(reason=REASON_BEFORE_START)
    if ids is not None:
        qs = qs.filter(id__in=list(ids))
    return qs.update(
        state=State.PENDING, attempts=0, next_attempt_at=None, reason="", claimed_by="", updated_at=timezone.now()
    )


def hours_export_period(*, tenant: Tenant, date_from: dt.date, date_to: dt.date, by: User | None) -> SyncRun:
    """Seed 004 "Eksporter timer til Tripletex": every approved hour in [date_from, date_to] not yet sent.

    Entries approved before the outbox existed get their rows now; held, failed and locked ones are
    tried again. The run finishes when the push has handled every row it took.
    """
    with transaction.atomic():
        run = SyncRun.objects.create(
            tenant=tenant, kind=SyncRun.Kind.HOURS_EXPORT, started_by=by,
            summary={"date_from": date_from.isoformat(), "date_to": date_to.isoformat()},
        )
        approved = list(TimeEntry.objects.filter(
            tenant=tenant, status=TimeEntry.Status.APPROVED, date__gte=date_from, date__lte=date_to
        ).values_list("id", flat=True))
        with_rows = set(HourTransfer.objects.filter(
            tenant=tenant, local_entry_id__in=approved, action=Action.UPSERT
        ).values_list("local_entry_id", flat=True))
        missing = [i for i in approved if i not in with_rows]
        if missing:
            hour_transfers_record_approved(tenant=tenant, entry_ids=missing)
        taken = HourTransfer.objects.filter(
            tenant=tenant, local_entry_id__in=approved, action=Action.UPSERT,
            state__in=(State.PENDING, State.HELD, State.FAILED, State.LOCKED),
        ).update(state=State.PENDING, attempts=0, next_attempt_at=None, reason="", claimed_by="", export_run=run,
                 updated_at=timezone.now())
        HourTransfer.objects.filter(tenant=tenant, local_entry_id__in=approved, state=State.SENDING).update(
            export_run=run
        )
        run.summary = {**run.summary, "entries": len(approved), "to_send": taken,
                       "already_sent": len(approved) - taken}
        if not taken:
            run.status, run.finished_at = SyncRun.Status.SUCCEEDED, timezone.now()
            run.message = str(_("Ingen nye timer å overføre i perioden."))
        run.save()
    return run


# Small pieces.


def _rearm(row: HourTransfer, *, action: str, now: dt.datetime) -> None:
    row.action, row.state, row.reason, row.message, row.request_id = action, State.PENDING, "", "", ""
    row.attempts, row.next_attempt_at, row.claimed_by, row.updated_at = 0, None, "", now


def _save_rows(rows: list[HourTransfer]) -> None:
    if rows:
        HourTransfer.objects.bulk_update(rows, [
            "action", "state", "reason", "message", "request_id", "attempts", "next_attempt_at", "claimed_by",
            "hours", "comment", "updated_at",
        ])


def _entry_key(e: dict) -> tuple:
    return (HourSlot.Kind.ENTRY, e["employee_id"], e["date"], e["project_id"], e["activity_id"], 0)


def _wage_key(e: dict) -> tuple:
    return (HourSlot.Kind.WAGE, e["employee_id"], e["date"], 0, 0, e["wage_type_id"] or 0)


def _slots_for(*, tenant: Tenant, entries: list[dict]) -> dict[tuple, HourSlot]:
    keys = {_entry_key(e) for e in entries} | {_wage_key(e) for e in entries if e["wage_type_id"]}
    HourSlot.objects.bulk_create(
        [HourSlot(tenant=tenant, kind=k, employee_id=emp, date=d, project_id=p, activity_id=a, wage_type_id=w)
         for k, emp, d, p, a, w in keys],
        ignore_conflicts=True,
    )
    found = HourSlot.objects.filter(
        tenant=tenant, employee_id__in={k[1] for k in keys}, date__in={k[2] for k in keys}
    )
    slots = {}
    for s in found:
        key = (s.kind, s.employee_id, s.date, s.project_id, s.activity_id, s.wage_type_id)
        if key in keys:
            slots[key] = s
    return slots
