"""Approved hours to Tripletex (seed 001, and seed 004's export per period): the outbox, the claim, the push.

The rule for several entries on one Tripletex key: Tripletex holds one timesheet entry per employee, date,
project and activity, so every approved entry with that key is summed into one Tripletex entry (an
`HourSlot`); when one of them changes, is rejected or deleted, the sum is written again with the version
we hold (or the entry deleted when nothing is left). Hours on a wage type are summed the same way into
one wage-type count per employee, date and wage type.

Every write makes Tripletex equal to what our database says now, never "add these hours", so sending a
slot twice changes nothing, and a slot whose create may have happened (timeout, dropped connection,
killed worker) is looked up in Tripletex by its key before it is sent again.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db import connection as db
from django.db.models import F, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hr.models import Activity, TimeEntry
from tenants.models import Tenant, User

from .clients import client_for_connection
from .hours_config import conf
from .models import Connection, HourSlot, HourTransfer, Link, SyncRecord, SyncRun
from .tripletex import (
    Conflict,
    InDoubt,
    Locked,
    NotFound,
    RateLimited,
    TripletexClient,
    TripletexError,
)

logger = logging.getLogger("integrations.hours")

State, Action = HourTransfer.State, HourTransfer.Action

# Reasons shown to the admin (msgids; translated where they are shown).
HOLD_EMPLOYEE = _("ansatt ikke koblet til Tripletex")
HOLD_PROJECT = _("prosjekt ikke koblet til Tripletex")
HOLD_ACTIVITY = _("aktivitet ikke koblet til Tripletex")
HOLD_WAGE_TYPE = _("lønnsart ikke koblet til Tripletex")
REASON_LOCKED = _("låst i Tripletex")
REASON_REFUSED = _("avvist av Tripletex")
REASON_GAVE_UP = _("ga opp etter gjentatte forsøk")

ENTRY_FIELDS = "id,version,date,hours,comment,locked,employee(id),project(id),activity(id)"
WAGE_FIELDS = "id,version,date,count,description,employee(id),salaryType(id)"


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
    """After a wizard refresh links more: held rows try again."""
    return HourTransfer.objects.filter(tenant=tenant, state=State.HELD).update(
        state=State.PENDING, reason="", attempts=0, next_attempt_at=None, updated_at=timezone.now()
    )


def hour_transfers_retry(*, tenant: Tenant, ids: Iterable[int] | None = None) -> int:
    """"Prøv igjen": failed or locked rows go back in the queue with a fresh count of attempts."""
    qs = HourTransfer.objects.filter(tenant=tenant, state__in=(State.FAILED, State.LOCKED, State.HELD))
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


# The push.


@dataclass
class PushOutcome:
    batches: int = 0
    rows: int = 0
    more: bool = False
    retry_after: float | None = None


def hours_push_pending(*, tenant: Tenant, max_batches: int | None = None) -> PushOutcome:
    """Send the company's pending rows, a bounded number of batches; says whether more are waiting.

    Must run inside the company's scope. Stops at once when the connection is no longer active.
    """
    outcome = PushOutcome()
    max_batches = max_batches or conf("HOURS_BATCHES_PER_TASK")
    connection = Connection.objects.filter(tenant=tenant).first()
    if connection is None or not connection.is_active:
        return outcome
    client = _client_for(connection)
    run = None
    try:
        for _i in range(max_batches):
            # Removing the integration stops transfers before the next batch, not after the task.
            connection.refresh_from_db(fields=["state", "tripletex_company_id", "employee_token"])
            if not connection.is_active:
                return outcome
            if run is None and _has_due(tenant):
                run = SyncRun.objects.create(tenant=tenant, kind=SyncRun.Kind.HOURS)
            if run is None:
                outcome.retry_after = _next_due_in(tenant)
                return outcome
            try:
                n = _push_batch(tenant=tenant, connection=connection, client=client, run=run)
            except RateLimited as exc:
                outcome.retry_after = max(1.0, float(exc.reset_after or 5.0))
                return outcome
            if n == 0:
                outcome.retry_after = _next_due_in(tenant)
                return outcome
            outcome.batches += 1
            outcome.rows += n
        outcome.more = _has_due(tenant)
        return outcome
    finally:
        if run is not None:
            _finish_run(run)


def hours_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Cross-company (call inside scopes_disabled): put back stale claims; return companies with due rows.

    A claim older than the timeout belongs to a worker that died mid-batch. Its rows go back to pending
    and count an attempt, so a batch that kills every worker still ends at "feilet".
    """
    now = now or timezone.now()
    stale_before = now - dt.timedelta(seconds=conf("HOURS_CLAIM_TIMEOUT"))
    stale = HourTransfer.objects.filter(state=State.SENDING, claimed_at__lt=stale_before)
    max_attempts = conf("HOURS_MAX_ATTEMPTS")
    stale.filter(attempts__gte=max_attempts - 1).update(
        state=State.FAILED, reason=str(REASON_GAVE_UP), claimed_by="", updated_at=now
    )
    stale.update(state=State.PENDING, claimed_by="", attempts=_plus_one(), next_attempt_at=None, updated_at=now)
    active = Connection.objects.filter(state=Connection.State.ACTIVE).values("tenant_id")
    due = HourTransfer.objects.filter(state=State.PENDING, tenant_id__in=active).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return sorted(set(due.values_list("tenant_id", flat=True)))


# One batch.


@dataclass
class SlotResult:
    ok: bool = False
    state: str = ""  # LOCKED or FAILED (permanent) or "" with ok=False for "try again later"
    reason: str = ""
    message: str = ""
    request_id: str = ""
    action: str = SyncRecord.Action.UPDATED


@dataclass
class Batch:
    tenant: Tenant
    company_id: int
    client: TripletexClient
    links: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)  # slot id → SlotResult


def _push_batch(*, tenant: Tenant, connection: Connection, client: TripletexClient, run: SyncRun) -> int:
    worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    rows = _claim(tenant=tenant, worker=worker, limit=conf("HOURS_BATCH_SIZE"))
    if not rows:
        return 0
    batch = Batch(tenant=tenant, company_id=connection.tripletex_company_id, client=client)
    try:
        _send(batch, rows)
    except RateLimited:
        # Not the rows' fault: they go back untouched, and the task comes back after the reset.
        HourTransfer.objects.filter(id__in=[r.id for r in rows], claimed_by=worker, state=State.SENDING).update(
            state=State.PENDING, claimed_by="", updated_at=timezone.now()
        )
        _save_slots(batch, rows)
        raise
    except TripletexError as exc:
        logger.warning("hours push for tenant %s: %s", tenant.id, exc)
        for row in rows:
            batch.results.setdefault(row.slot_id, _later(exc))
    _save_slots(batch, rows)
    for action, n in _finalize(batch, rows, worker=worker, run=run).items():
        run.summary[action] = run.summary.get(action, 0) + n
    return len(rows)


def _claim(*, tenant: Tenant, worker: str, limit: int) -> list[HourTransfer]:
    """Take up to `limit` slots' pending rows, all rows of a slot together, with one conditional update."""
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    # Oldest rows first; a window of rows rather than GROUP BY over every pending row, which costs more
    # than the batch when a month of hours waits. A slot's other rows come along with the update below.
    window = HourTransfer.objects.filter(tenant=tenant, state=State.PENDING).filter(due).order_by("id")
    slot_ids = list(dict.fromkeys(window.values_list("slot_id", flat=True)[: limit * 3]))[:limit]
    if not slot_ids:
        return []
    # The connection's state is part of the claim itself, so a removal that commits first wins.
    active = Connection.objects.filter(tenant=tenant, state=Connection.State.ACTIVE).values("tenant_id")
    HourTransfer.objects.filter(tenant=tenant, tenant_id__in=active, slot_id__in=slot_ids, state=State.PENDING).filter(
        due
    ).update(state=State.SENDING, claimed_by=worker, claimed_at=now)
    return list(
        HourTransfer.objects.filter(tenant=tenant, claimed_by=worker, state=State.SENDING).select_related(
            "slot", "wage_slot"
        )
    )


def _send(batch: Batch, rows: list[HourTransfer]) -> None:
    slots = {r.slot_id: r.slot for r in rows}
    wage_slots = {r.wage_slot_id: r.wage_slot for r in rows if r.wage_slot_id}
    for slot in [*slots.values(), *wage_slots.values()]:
        if slot.tripletex_company_id not in (None, batch.company_id):
            # Linked to another Tripletex company before a reconnect: that entry is not this company's.
            slot.tripletex_id = slot.tripletex_version = slot.hours = None
            slot.in_doubt = False
        slot.tripletex_company_id = batch.company_id

    _load_links(batch, rows)
    totals = _totals(batch.tenant, slot_ids=list(slots), field="slot_id")
    wage_totals = _totals(batch.tenant, slot_ids=list(wage_slots), field="wage_slot_id")

    entry_work = []
    for slot in slots.values():
        if slot.tripletex_id is None and not slot.in_doubt and totals.get(slot.id, (0, ""))[0] == 0:
            batch.results[slot.id] = SlotResult(ok=True, action=SyncRecord.Action.DELETED)  # nothing there to take back
            continue
        # Taking hours back needs only the id we hold; sending them needs every link.
        hold = _hold_reason(batch, slot) if totals.get(slot.id, (0, ""))[0] or slot.tripletex_id is None else None
        if hold:
            batch.results[slot.id] = SlotResult(state=State.HELD, reason=str(hold))
            continue
        entry_work.append(slot)
    for row in rows:
        if row.wage_slot_id and row.slot_id in slots and batch.results.get(row.slot_id) is None:
            wage = wage_slots[row.wage_slot_id]
            if wage.tripletex_id is None and not wage.in_doubt and not wage_totals.get(wage.id, (0, ""))[0]:
                continue
            if batch.links.get((Link.Kind.WAGE_TYPE, wage.wage_type_id)) is None:
                batch.results[row.slot_id] = SlotResult(state=State.HELD, reason=str(HOLD_WAGE_TYPE))
                entry_work = [s for s in entry_work if s.id != row.slot_id]

    _sync_entries(batch, entry_work, totals)
    wage_work = [
        wage_slots[r.wage_slot_id] for r in rows
        if r.wage_slot_id and batch.results.get(r.slot_id) and batch.results[r.slot_id].ok
    ]
    _sync_wages(batch, list({s.id: s for s in wage_work}.values()), wage_totals)


def _load_links(batch: Batch, rows: list[HourTransfer]) -> None:
    wanted = defaultdict(set)
    for r in rows:
        wanted[Link.Kind.EMPLOYEE].add(r.slot.employee_id)
        wanted[Link.Kind.PROJECT].add(r.slot.project_id)
        wanted[Link.Kind.ACTIVITY].add(r.slot.activity_id)
        if r.wage_slot_id:
            wanted[Link.Kind.WAGE_TYPE].add(r.wage_slot.wage_type_id)
    q = Q()
    for kind, ids in wanted.items():
        q |= Q(kind=kind, local_id__in=ids)
    for kind, local_id, tx_id in Link.objects.filter(
        tenant=batch.tenant, tripletex_company_id=batch.company_id
    ).filter(q).values_list("kind", "local_id", "tripletex_id"):
        batch.links[(kind, local_id)] = tx_id
    for activity_id in wanted[Link.Kind.ACTIVITY]:
        if (Link.Kind.ACTIVITY, activity_id) not in batch.links:
            batch.links[(Link.Kind.ACTIVITY, activity_id)] = _link_activity(batch, activity_id)


def _link_activity(batch: Batch, activity_id: int) -> int | None:
    """The wizard does not fetch activities. Ours are matched to Tripletex's by number, then by name; one
    that does not exist is created from its hourly rate (seed 004), and the link is kept."""
    activity = Activity.objects.filter(tenant=batch.tenant, id=activity_id).first()
    if activity is None:
        return None
    try:
        found = _find_activity(batch.client, activity)
        if found is None:
            body = {"name": activity.name, "activityType": "PROJECT_GENERAL_ACTIVITY",
                    "isChargeable": bool(activity.hourly_rate), "rate": activity.hourly_rate or Decimal(0)}
            if activity.number:
                body["number"] = activity.number
            try:
                found = batch.client.activity_create(body)
            except InDoubt:
                found = _find_activity(batch.client, activity)
    except RateLimited:
        raise
    except TripletexError as exc:
        logger.warning("activity %s could not be linked: %s", activity_id, exc)
        return None
    if not found:
        return None
    try:
        with transaction.atomic():
            Link.objects.create(tenant=batch.tenant, kind=Link.Kind.ACTIVITY, local_id=activity.id,
                                tripletex_company_id=batch.company_id, tripletex_id=found["id"],
                                tripletex_version=found.get("version"))
    except IntegrityError:  # another worker linked it first
        pass
    link = Link.objects.filter(tenant=batch.tenant, kind=Link.Kind.ACTIVITY, local_id=activity.id,
                               tripletex_company_id=batch.company_id).first()
    return link.tripletex_id if link else None


def _find_activity(client: TripletexClient, activity: Activity) -> dict | None:
    fields = "id,version,number,name,isDisabled,isProjectActivity,isGeneral"
    if activity.number:
        hits = [a for a in client.activity_list(number=activity.number, fields=fields)
                if str(a.get("number")) == activity.number and not a.get("isDisabled")]
        if hits:
            return hits[0]
    hits = [a for a in client.activity_list(name=activity.name, fields=fields)
            if (a.get("name") or "").strip().lower() == activity.name.strip().lower() and not a.get("isDisabled")]
    # A general (non-project) activity cannot carry project hours in Tripletex.
    hits.sort(key=lambda a: not a.get("isProjectActivity", True))
    return hits[0] if hits else None


def _hold_reason(batch: Batch, slot: HourSlot):
    if batch.links.get((Link.Kind.EMPLOYEE, slot.employee_id)) is None:
        return HOLD_EMPLOYEE
    if batch.links.get((Link.Kind.PROJECT, slot.project_id)) is None:
        return HOLD_PROJECT
    if batch.links.get((Link.Kind.ACTIVITY, slot.activity_id)) is None:
        return HOLD_ACTIVITY
    return None


def _totals(tenant: Tenant, *, slot_ids: list[int], field: str) -> dict[int, tuple[Decimal, str]]:
    """What each slot must hold: the sum of its approved, not held rows, and their comments joined."""
    if not slot_ids:
        return {}
    sums: dict[int, Decimal] = defaultdict(Decimal)
    comments: dict[int, list[str]] = defaultdict(list)
    for slot_id, hours, comment in HourTransfer.objects.filter(
        tenant=tenant, **{f"{field}__in": slot_ids}, action=Action.UPSERT
    ).exclude(state=State.HELD).order_by("local_entry_id").values_list(field, "hours", "comment"):
        sums[slot_id] += hours
        if comment and comment not in comments[slot_id]:
            comments[slot_id].append(comment)
    return {i: (sums[i], "; ".join(comments[i])[:500]) for i in slot_ids}


# Timesheet entries.


def _tx_key(batch: Batch, slot: HourSlot) -> tuple:
    return (
        batch.links[(Link.Kind.EMPLOYEE, slot.employee_id)], slot.date.isoformat(),
        batch.links[(Link.Kind.PROJECT, slot.project_id)], batch.links[(Link.Kind.ACTIVITY, slot.activity_id)],
    )


def _remote_key(entry: dict) -> tuple:
    return (
        (entry.get("employee") or {}).get("id"), str(entry.get("date"))[:10],
        (entry.get("project") or {}).get("id"), (entry.get("activity") or {}).get("id"),
    )


def _adopt(slot: HourSlot, remote: dict, *, hours_field: str = "hours", comment_field: str = "comment") -> None:
    slot.tripletex_id = remote["id"]
    slot.tripletex_version = remote.get("version")
    slot.hours = Decimal(str(remote.get(hours_field) or 0))
    slot.comment = remote.get(comment_field) or ""
    slot.in_doubt = False


def _sync_entries(batch: Batch, slots: list[HourSlot], totals: dict) -> None:
    if not slots:
        return
    doubtful = [s for s in slots if s.in_doubt and s.tripletex_id is None]
    if doubtful:
        _reconcile_entries(batch, doubtful)
    creates, updates, deletes = [], [], []
    for slot in slots:
        total, comment = totals.get(slot.id, (Decimal(0), ""))
        if slot.tripletex_id is None:
            if total > 0:
                creates.append(slot)
            else:
                batch.results[slot.id] = SlotResult(ok=True, action=SyncRecord.Action.DELETED)
        elif total == 0:
            deletes.append(slot)
        elif slot.hours != total or slot.comment != comment:
            updates.append(slot)
        else:
            batch.results[slot.id] = SlotResult(ok=True, action=SyncRecord.Action.LINKED)
    _create_entries(batch, creates, totals)
    # A create refused as a duplicate may have linked an existing entry that still needs our hours.
    for slot in creates:
        result = batch.results.get(slot.id)
        if result is None and slot.tripletex_id is not None:
            updates.append(slot)
    _update_entries(batch, updates, totals)
    for slot in deletes:
        batch.results[slot.id] = _delete_entry(batch, slot)


def _reconcile_entries(batch: Batch, slots: list[HourSlot]) -> None:
    """Look the slots up in Tripletex by key and adopt what is there: nothing is created twice."""
    by_key = {_tx_key(batch, s): s for s in slots}
    dates = [s.date for s in slots]
    remote = batch.client.timesheet_entry_search(
        date_from=min(dates), date_to=max(dates) + dt.timedelta(days=1),
        employee_ids=sorted({k[0] for k in by_key}), fields=ENTRY_FIELDS,
    )
    for entry in remote:
        slot = by_key.get(_remote_key(entry))
        if slot is not None:
            _adopt(slot, entry)
    for slot in slots:
        # Asked after the create ended: whatever is not there was not created.
        slot.in_doubt = False


def _entry_body(batch: Batch, slot: HourSlot, total: Decimal, comment: str) -> dict:
    employee, date, project, activity = _tx_key(batch, slot)
    return {"employee": {"id": employee}, "project": {"id": project}, "activity": {"id": activity},
            "date": date, "hours": total, "comment": comment}


def _create_entries(batch: Batch, slots: list[HourSlot], totals: dict) -> None:
    if not slots:
        return
    # Write-ahead: if we die between here and storing the answer, the next worker looks before sending.
    HourSlot.objects.filter(id__in=[s.id for s in slots]).update(in_doubt=True, tripletex_company_id=batch.company_id)
    for s in slots:
        s.in_doubt = True
    bodies = [_entry_body(batch, s, *totals[s.id]) for s in slots]
    try:
        created = batch.client.timesheet_entry_create_many(bodies)
    except InDoubt as exc:
        _reconcile_entries(batch, slots)
        for s in slots:
            if s.tripletex_id is not None:
                batch.results[s.id] = SlotResult(ok=True, action=SyncRecord.Action.LINKED)
            else:
                batch.results[s.id] = _later(exc)
        return
    except RateLimited:
        raise
    except TripletexError as exc:
        if not exc.permanent:
            for s in slots:
                batch.results[s.id] = _later(exc)
            return
        # /list is all or nothing: link what already exists (a duplicate key), then find the bad one by halves.
        _reconcile_entries(batch, slots)
        rest = [s for s in slots if s.tripletex_id is None]
        if len(slots) == 1:
            if not rest:
                return  # linked; the caller updates it to our hours
            batch.results[slots[0].id] = _refused(exc)
            return
        half = (len(rest) + 1) // 2
        if rest and len(rest) < len(slots):
            _create_entries(batch, rest, totals)
        elif rest:
            _create_entries(batch, rest[:half], totals)
            _create_entries(batch, rest[half:], totals)
        return
    by_key = {_tx_key(batch, s): s for s in slots}
    for i, remote in enumerate(created or []):
        slot = by_key.get(_remote_key(remote)) or (slots[i] if i < len(slots) else None)
        if slot is not None:
            _adopt(slot, remote)
            batch.results[slot.id] = SlotResult(ok=True, action=SyncRecord.Action.CREATED)
    for s in slots:
        if s.id not in batch.results:
            s.in_doubt = False
            batch.results[s.id] = _later(None, message="Tripletex answered without the entry")


def _update_entries(batch: Batch, slots: list[HourSlot], totals: dict, *, reread: bool = True) -> None:
    if not slots:
        return
    bodies = [{"id": s.tripletex_id, "version": s.tripletex_version or 0, "hours": totals[s.id][0],
               "comment": totals[s.id][1]} for s in slots]
    try:
        updated = batch.client.timesheet_entry_update_many(bodies)
    except RateLimited:
        raise
    except (Conflict, NotFound) as exc:
        if not reread:
            for s in slots:
                batch.results[s.id] = _later(exc)
            return
        _reread_entries(batch, slots)
        again = [s for s in slots if s.id not in batch.results]
        _redo(batch, again, totals)
        return
    except TripletexError as exc:
        if not exc.permanent:
            for s in slots:
                batch.results[s.id] = _later(exc)
            return
        if len(slots) > 1:
            half = (len(slots) + 1) // 2
            _update_entries(batch, slots[:half], totals, reread=reread)
            _update_entries(batch, slots[half:], totals, reread=reread)
            return
        batch.results[slots[0].id] = _refused(exc)
        return
    by_id = {s.tripletex_id: s for s in slots}
    for remote in updated or []:
        slot = by_id.get(remote.get("id"))
        if slot is not None:
            _adopt(slot, remote)
            batch.results[slot.id] = SlotResult(ok=True, action=SyncRecord.Action.UPDATED)
    for s in slots:
        batch.results.setdefault(s.id, SlotResult(ok=True, action=SyncRecord.Action.UPDATED))


def _reread_entries(batch: Batch, slots: list[HourSlot]) -> None:
    """A stale version or a missing entry: read what Tripletex holds now and start from that."""
    dates = [s.date for s in slots]
    remote = {e["id"]: e for e in batch.client.timesheet_entry_search(
        date_from=min(dates), date_to=max(dates) + dt.timedelta(days=1),
        params={"id": sorted(s.tripletex_id for s in slots)}, fields=ENTRY_FIELDS,
    )}
    for slot in slots:
        entry = remote.get(slot.tripletex_id)
        if entry is None:
            # Deleted in Tripletex by someone: send ours again as new.
            slot.tripletex_id = slot.tripletex_version = slot.hours = None
        elif entry.get("locked"):
            _adopt(slot, entry)
            batch.results[slot.id] = SlotResult(state=State.LOCKED, reason=str(REASON_LOCKED),
                                                message=str(_("Timene er godkjent eller låst i Tripletex.")))
        else:
            _adopt(slot, entry)


def _redo(batch: Batch, slots: list[HourSlot], totals: dict) -> None:
    creates = [s for s in slots if s.tripletex_id is None and totals[s.id][0] > 0]
    updates = [s for s in slots if s.tripletex_id is not None and (s.hours, s.comment) != totals[s.id]]
    for s in slots:
        if s not in creates and s not in updates:
            batch.results[s.id] = SlotResult(ok=True, action=SyncRecord.Action.LINKED)
    _create_entries(batch, creates, totals)
    _update_entries(batch, updates, totals, reread=False)


def _delete_entry(batch: Batch, slot: HourSlot, *, reread: bool = True) -> SlotResult:
    try:
        batch.client.timesheet_entry_delete(slot.tripletex_id, version=slot.tripletex_version or 0)
    except NotFound:
        pass  # already gone, which is what we wanted
    except RateLimited:
        raise
    except Conflict as exc:
        if not reread:
            return _later(exc)
        _reread_entries(batch, [slot])
        if slot.id in batch.results:
            return batch.results.pop(slot.id)
        if slot.tripletex_id is not None:
            return _delete_entry(batch, slot, reread=False)
    except TripletexError as exc:
        return _refused(exc) if exc.permanent else _later(exc)
    slot.tripletex_id = slot.tripletex_version = slot.hours = None
    slot.comment = ""
    return SlotResult(ok=True, action=SyncRecord.Action.DELETED)


# Hours per wage type: one count per employee, date and wage type.


def _wage_tx_key(batch: Batch, slot: HourSlot) -> tuple:
    return (batch.links[(Link.Kind.EMPLOYEE, slot.employee_id)], slot.date.isoformat(),
            batch.links[(Link.Kind.WAGE_TYPE, slot.wage_type_id)])


def _sync_wages(batch: Batch, slots: list[HourSlot], totals: dict) -> None:
    path = "/timesheet/salaryTypeSpecification"
    for slot in slots:
        total, comment = totals.get(slot.id, (Decimal(0), ""))
        try:
            if slot.in_doubt and slot.tripletex_id is None:
                _reconcile_wage(batch, slot)
            if slot.tripletex_id is None and total > 0:
                HourSlot.objects.filter(id=slot.id).update(in_doubt=True, tripletex_company_id=batch.company_id)
                employee, date, wage_type = _wage_tx_key(batch, slot)
                body = {"employee": {"id": employee}, "salaryType": {"id": wage_type}, "date": date,
                        "count": total, "description": comment}
                try:
                    _adopt(slot, batch.client.timesheet_salary_type_spec_create(body),
                           hours_field="count", comment_field="description")
                except InDoubt:
                    _reconcile_wage(batch, slot)
                    if slot.tripletex_id is None:
                        raise
                except TripletexError as exc:
                    if not exc.permanent or isinstance(exc, RateLimited):
                        raise
                    _reconcile_wage(batch, slot)  # a duplicate: adopt it and write our count below
                    if slot.tripletex_id is None:
                        raise
            if slot.tripletex_id is not None and total == 0:
                try:
                    batch.client.delete(f"{path}/{slot.tripletex_id}", retry_safe=True)
                except NotFound:
                    pass
                slot.tripletex_id = slot.tripletex_version = slot.hours = None
            elif slot.tripletex_id is not None and slot.hours != total:
                # The client has no method for this [BETA] endpoint yet; the generic versioned write is safe to repeat.
                body = {"id": slot.tripletex_id, "version": slot.tripletex_version or 0, "count": total,
                        "description": comment}
                _adopt(slot, batch.client.write("PUT", f"{path}/{slot.tripletex_id}", body, retry_safe=True),
                       hours_field="count", comment_field="description")
        except RateLimited:
            raise
        except TripletexError as exc:
            result = _refused(exc) if exc.permanent else _later(exc)
            batch.results[("wage", slot.id)] = result


def _reconcile_wage(batch: Batch, slot: HourSlot) -> None:
    employee, date, wage_type = _wage_tx_key(batch, slot)
    day = slot.date
    for spec in batch.client.timesheet_salary_type_spec_list(
        date_from=day, date_to=day + dt.timedelta(days=1), employee_id=employee, fields=WAGE_FIELDS
    ):
        if (spec.get("salaryType") or {}).get("id") == wage_type and str(spec.get("date"))[:10] == date:
            _adopt(slot, spec, hours_field="count", comment_field="description")
            return
    slot.in_doubt = False


# Results.


def _is_lock(exc: TripletexError) -> bool:
    if isinstance(exc, Locked):
        return True
    text = " ".join([exc.message or "", exc.developer_message or "", *exc.validation.values()]).lower()
    return any(word in text for word in ("låst", "locked", "lock", "er godkjent", "approved"))


def _refused(exc: TripletexError) -> SlotResult:
    if _is_lock(exc):
        return SlotResult(state=State.LOCKED, reason=str(REASON_LOCKED), message=_message(exc),
                          request_id=exc.request_id or "")
    return SlotResult(state=State.FAILED, reason=str(REASON_REFUSED), message=_message(exc),
                      request_id=exc.request_id or "")


def _later(exc: TripletexError | None, *, message: str = "") -> SlotResult:
    return SlotResult(message=_message(exc) if exc else message, request_id=(exc.request_id or "") if exc else "")


def _message(exc: TripletexError) -> str:
    text = exc.message or ""
    if exc.validation:
        text += " (" + "; ".join(f"{k}: {v}" if k else v for k, v in exc.validation.items()) + ")"
    return text[:2000]


def _save_slots(batch: Batch, rows: list[HourTransfer]) -> None:
    slots = {r.slot_id: r.slot for r in rows}
    slots.update({r.wage_slot_id: r.wage_slot for r in rows if r.wage_slot_id})
    if not slots:
        return
    # One prepared statement run per slot (executemany): bulk_update's CASE per field costs more time to
    # build than the whole Tripletex call for a batch of 200, and every slot's values differ.
    fields = ["tripletex_company_id", "tripletex_id", "tripletex_version", "hours", "comment", "in_doubt",
              "updated_at"]
    meta = HourSlot._meta
    columns = ", ".join(f"{db.ops.quote_name(meta.get_field(f).column)} = %s" for f in fields)
    sql = f"UPDATE {db.ops.quote_name(meta.db_table)} SET {columns} WHERE id = %s"
    now = timezone.now()
    params = []
    for slot in slots.values():
        slot.updated_at = now
        params.append([meta.get_field(f).get_db_prep_save(getattr(slot, f), db) for f in fields] + [slot.id])
    # One transaction: in autocommit every statement would be its own commit (and fsync).
    with transaction.atomic(), db.cursor() as cursor:
        cursor.executemany(sql, params)


def _finalize(batch: Batch, rows: list[HourTransfer], *, worker: str, run: SyncRun) -> dict[str, int]:
    now = timezone.now()
    max_attempts = conf("HOURS_MAX_ATTEMPTS")
    records = []
    counts: dict[str, int] = defaultdict(int)
    with transaction.atomic():
        # Only rows still ours: one re-approved or rejected meanwhile was re-armed by the hook and goes again.
        mine = set(HourTransfer.objects.select_for_update().filter(
            id__in=[r.id for r in rows], claimed_by=worker, state=State.SENDING
        ).values_list("id", flat=True))
        changed = []
        for row in rows:
            if row.id not in mine:
                continue
            result = batch.results.get(row.slot_id) or SlotResult()
            wage = batch.results.get(("wage", row.wage_slot_id)) if row.wage_slot_id else None
            if result.ok and wage is not None:
                result = wage
            row.claimed_by, row.updated_at = "", now
            row.message, row.request_id = result.message, result.request_id
            if result.ok:
                row.state = State.SENT if row.action == Action.UPSERT else State.REMOVED
                row.reason, row.sent_at, row.attempts, row.next_attempt_at = "", now, 0, None
                action = result.action if row.action == Action.UPSERT else SyncRecord.Action.DELETED
            elif result.state:
                row.state, row.reason = result.state, result.reason
                action = SyncRecord.Action.SKIPPED if result.state == State.HELD else SyncRecord.Action.FAILED
            else:
                row.attempts += 1
                if row.attempts >= max_attempts:
                    row.state, row.reason = State.FAILED, str(REASON_GAVE_UP)
                    action = SyncRecord.Action.FAILED
                else:
                    row.state, row.reason = State.PENDING, ""
                    # Backoff so a sick Tripletex is not hammered: 10 s, 20 s, 40 s … capped at 30 min.
                    wait = min(1800.0, conf("HOURS_RETRY_BACKOFF") * 2 ** (row.attempts - 1))
                    row.next_attempt_at = now + dt.timedelta(seconds=wait)
                    action = None
            changed.append(row)
            if action is not None and not row.export_run_id:
                counts[action] += 1
            # Automatic pushes log problems per entry and count successes in the run's summary; an export
            # per period (seed 004) logs every entry it sent.
            if action is not None and (row.export_run_id or action in (SyncRecord.Action.FAILED,
                                                                       SyncRecord.Action.SKIPPED)):
                slot = row.slot
                records.append(SyncRecord(
                    tenant=batch.tenant, run_id=row.export_run_id or run.id, object_kind="hours",
                    local_id=row.local_entry_id, tripletex_id=slot.tripletex_id,
                    label=f"{slot.date:%d.%m.%Y} · {row.hours} t", action=action, rule=row.reason,
                    message=row.message, request_id=row.request_id,
                ))
        # Rows of a batch mostly end alike (all sent): one UPDATE per distinct outcome, not per row.
        groups = defaultdict(list)
        for row in changed:
            values = (row.state, row.reason, row.message, row.request_id, row.attempts, row.next_attempt_at,
                      row.sent_at)
            groups[values].append(row.id)
        for (state, reason, message, request_id, attempts, next_at, sent_at), ids in groups.items():
            HourTransfer.objects.filter(id__in=ids).update(
                state=state, reason=reason, message=message, request_id=request_id, attempts=attempts,
                next_attempt_at=next_at, sent_at=sent_at, claimed_by="", updated_at=now,
            )
        SyncRecord.objects.bulk_create(records)
    export_runs = {r.export_run_id for r in rows if r.export_run_id}
    for run_id in export_runs:
        _finish_export_if_done(batch.tenant, run_id)
    return counts


def _finish_export_if_done(tenant: Tenant, run_id: int) -> None:
    open_rows = HourTransfer.objects.filter(tenant=tenant, export_run_id=run_id, state__in=(State.PENDING, State.SENDING))
    if open_rows.exists():
        return
    run = SyncRun.objects.filter(tenant=tenant, id=run_id, status=SyncRun.Status.RUNNING).first()
    if run is not None:
        _finish_run(run)


def _finish_run(run: SyncRun) -> None:
    counts = defaultdict(int)
    if run.kind == SyncRun.Kind.HOURS:
        counts.update({k: v for k, v in run.summary.items() if k in SyncRecord.Action.values})
    else:
        for action in run.records.values_list("action", flat=True):
            counts[action] += 1
    if run.kind == SyncRun.Kind.HOURS and not counts:
        run.delete()  # nothing reached a final state: a retry-later pass is not worth a line in the log
        return
    if run.kind == SyncRun.Kind.HOURS_EXPORT and HourTransfer.objects.filter(
        tenant_id=run.tenant_id, export_run_id=run.id, state__in=(State.PENDING, State.SENDING)
    ).exists():
        run.summary = {**run.summary, **counts}
        run.save(update_fields=["summary", "updated_at"])
        return
    problems = counts[SyncRecord.Action.FAILED] + counts[SyncRecord.Action.SKIPPED]
    done = sum(counts.values()) - problems
    run.status = (
        SyncRun.Status.SUCCEEDED if not problems else SyncRun.Status.PARTIAL if done else SyncRun.Status.FAILED
    )
    run.summary = {**run.summary, **counts}
    run.finished_at = timezone.now()
    run.save()


# Small pieces.


def _next_due_in(tenant: Tenant) -> float | None:
    """Seconds until the earliest row waiting out a backoff is due; the sweep is the net beyond a minute."""
    first = HourTransfer.objects.filter(tenant=tenant, state=State.PENDING, next_attempt_at__isnull=False).aggregate(
        first=Min("next_attempt_at")
    )["first"]
    if first is None:
        return None
    wait = (first - timezone.now()).total_seconds()
    return max(0.5, wait) if wait < 60 else None


def _has_due(tenant: Tenant) -> bool:
    now = timezone.now()
    return HourTransfer.objects.filter(tenant=tenant, state=State.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    ).exists()


def _plus_one():
    return F("attempts") + 1


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


# One client per company per worker process: a new session token per task would double the calls.
_CLIENTS: dict[tuple, TripletexClient] = {}


def _client_for(connection: Connection) -> TripletexClient:
    fingerprint = hashlib.sha256(connection.employee_token.encode()).hexdigest()
    key = (connection.tenant_id, connection.tripletex_company_id, fingerprint)
    client = _CLIENTS.get(key)
    if client is None:
        for old in [k for k in _CLIENTS if k[0] == connection.tenant_id]:
            _CLIENTS.pop(old).close()
        if len(_CLIENTS) > 256:
            _CLIENTS.pop(next(iter(_CLIENTS))).close()
        client = client_for_connection(connection, max_rate_limit_wait=conf("HOURS_RATE_LIMIT_WAIT"))
        _CLIENTS[key] = client
    return client
