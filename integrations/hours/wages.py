"""Hours per wage type: one count per employee, date and wage type (`/timesheet/salaryTypeSpecification`,
[BETA] in Tripletex), equal to the hours on that wage type whose timesheet entries are in Tripletex.

A count moves only with hours whose entry went, and a wage type not linked yet holds back only the count,
never the hours. A count on our key that we did not make is someone else's, as for entries (`slots`).
Tripletex takes no version when a count is deleted, so it is read first: one changed by hand since we
wrote it is not ours alone to delete.
"""
from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext_noop

from ..models import HourSlot, HourTransfer, Link, SyncRecord
from ..tripletex import Conflict, Forbidden, InDoubt, NotFound, RateLimited, TripletexError, Unauthorized
from ..tripletex.errors import describe
from .slots import (
    STOPS_BATCH,
    Batch,
    SlotResult,
    adopt,
    clear,
    drop_theirs,
    later,
    load_ours,
    locked,
    locked_days,
    our_hours,
    rebase,
    refusal,
    save_slots,
    take_as_theirs,
    target,
    value,
)

State, Action = HourTransfer.State, HourTransfer.Action

# Reasons shown to the admin (msgids). All but the first sit beside hours that did reach Tripletex.
HOLD_WAGE_TYPE = gettext_noop("lønnsart ikke koblet til Tripletex")
WAGE_LOCKED = gettext_noop("antall per lønnsart låst i Tripletex")
WAGE_REFUSED = gettext_noop("antall per lønnsart avvist av Tripletex")
WAGE_GAVE_UP = gettext_noop("antall per lønnsart: ga opp etter gjentatte forsøk")
WAGE_NO_RIGHT = gettext_noop("antall per lønnsart: API-nøkkelens bruker mangler tilgang i Tripletex")

FIELDS = "id,version,date,count,description,employee(id),salaryType(id)"
COUNT = {"hours_field": "count", "comment_field": "description"}


def sync(batch: Batch, rows: list[HourTransfer]) -> None:
    """The counts of these rows, whose timesheet entries went in this batch."""
    wage_slots = {r.wage_slot_id: r.wage_slot for r in rows if r.wage_slot_id}
    if not wage_slots:
        return
    sent_now = [r.id for r in rows if r.action == Action.UPSERT]
    # A row whose count is not in Tripletex (held, refused) says so in its reason; it is not counted.
    load_ours(batch, slot_ids=list(wage_slots), field="wage_slot_id",
              counted=Q(state=State.SENT, reason="") | Q(id__in=sent_now))
    for slot in wage_slots.values():
        try:
            if slot.in_doubt and slot.tripletex_id is None and _linked(batch, slot):
                _settle_doubt(batch, slot)
            result = _write(batch, slot, reread=True)
        except (RateLimited, Unauthorized):
            raise
        except Forbidden as exc:
            # The user may write hours but not counts per wage type: the hours stand, the count waits for the right.
            batch.forbidden.append(exc)
            result = SlotResult(state=State.FAILED, reason=WAGE_NO_RIGHT, message=describe(exc),
                                request_id=exc.request_id or "")
        except TripletexError as exc:
            result = _refused(batch, slot, exc) if exc.permanent else later(exc)
        batch.results[("wage", slot.id)] = result


def _write(batch: Batch, slot: HourSlot, *, reread: bool) -> SlotResult:
    if slot.tripletex_id is None:
        if our_hours(batch, slot) == 0:
            return SlotResult(ok=True, action=SyncRecord.Action.DELETED)
        if not _linked(batch, slot):
            return SlotResult(state=State.HELD, reason=HOLD_WAGE_TYPE)
        return _create(batch, slot)
    # Changing or taking back a count needs only the id we hold, not the wage type's link.
    if our_hours(batch, slot) == 0 and slot.id not in batch.theirs:
        return _delete(batch, slot, reread=reread)
    if (slot.hours, slot.comment) == target(batch, slot):
        return SlotResult(ok=True, action=SyncRecord.Action.LINKED)
    return _update(batch, slot, reread=reread)


def _create(batch: Batch, slot: HourSlot) -> SlotResult:
    slot.hours, slot.comment = target(batch, slot)
    slot.in_doubt, slot.tripletex_company_id = True, batch.company_id
    save_slots([slot])  # write-ahead, as for entries
    employee, date, wage_type = _key(batch, slot)
    body = {"employee": {"id": employee}, "salaryType": {"id": wage_type}, "date": date, "count": slot.hours,
            "description": slot.comment}
    try:
        remote = batch.client.timesheet_salary_type_spec_create(body)
    except InDoubt as exc:
        _settle_doubt(batch, slot, just_sent=True)
        if slot.tripletex_id is None:
            return later(exc)
        if slot.id in batch.theirs:
            return _update(batch, slot, reread=True)
        return SlotResult(ok=True, action=SyncRecord.Action.CREATED)
    except TripletexError as exc:
        clear(slot)  # refused: nothing was created
        if isinstance(exc, STOPS_BATCH) or not exc.permanent:
            raise
        remote = _find(batch, slot)
        if remote is None:
            return _refused(batch, slot, exc)
        take_as_theirs(batch, slot, remote, **COUNT)  # someone's count on our key: ours are added to it
        return _update(batch, slot, reread=True)
    adopt(slot, remote, **COUNT)
    return SlotResult(ok=True, action=SyncRecord.Action.CREATED)


def _update(batch: Batch, slot: HourSlot, *, reread: bool) -> SlotResult:
    hours, comment = target(batch, slot)
    earlier, slot.in_doubt = slot.in_doubt, True
    save_slots([slot])  # write-ahead, as for entries
    try:
        remote = batch.client.timesheet_salary_type_spec_update(
            slot.tripletex_id, {"count": hours, "description": comment}, version=slot.tripletex_version or 0
        )
    except STOPS_BATCH:
        slot.in_doubt = earlier
        raise
    except TripletexError as exc:
        if not exc.permanent:
            return later(exc)
        slot.in_doubt = getattr(exc, "maybe_applied", False) or earlier
        if reread:
            # A stale version or a count deleted in Tripletex: read what it holds and start from that.
            _reread(batch, slot)
            return _write(batch, slot, reread=False)
        if isinstance(exc, (Conflict, NotFound)):
            return later(exc)  # changed again under us: the next try reads it again
        return _refused(batch, slot, exc)
    adopt(slot, remote, **COUNT)
    return SlotResult(ok=True, action=SyncRecord.Action.UPDATED)


def _delete(batch: Batch, slot: HourSlot, *, reread: bool) -> SlotResult:
    if reread:
        _reread(batch, slot)
        return _write(batch, slot, reread=False)
    try:
        batch.client.timesheet_salary_type_spec_delete(slot.tripletex_id)
    except NotFound:
        pass
    except STOPS_BATCH:
        raise
    except TripletexError as exc:
        return _refused(batch, slot, exc) if exc.permanent else later(exc)
    clear(slot)
    return SlotResult(ok=True, action=SyncRecord.Action.DELETED)


def _reread(batch: Batch, slot: HourSlot) -> None:
    try:
        remote = batch.client.timesheet_salary_type_spec_get(slot.tripletex_id, fields=FIELDS)
    except NotFound:
        drop_theirs(batch, slot)  # deleted in Tripletex, their count with it
        clear(slot)
        return
    if remote.get("version") != slot.tripletex_version:
        rebase(batch, slot, remote, ours_possible=slot.in_doubt, **COUNT)
    slot.in_doubt = False


def _settle_doubt(batch: Batch, slot: HourSlot, *, just_sent: bool = False) -> None:
    remote = _find(batch, slot)
    if remote is None and not just_sent:
        clear(slot)
    elif remote is None:
        pass  # Tripletex may still be working on the call it did not answer: the next try looks again
    elif slot.hours is None or value(remote, **COUNT) == (slot.hours, slot.comment):
        adopt(slot, remote, **COUNT)  # the create we sent
    else:
        take_as_theirs(batch, slot, remote, **COUNT)


def _refused(batch: Batch, slot: HourSlot, exc: TripletexError) -> SlotResult:
    employee = batch.links.get((Link.Kind.EMPLOYEE, slot.employee_id))
    if employee is not None and (employee, slot.date) in locked_days(batch, {(employee, slot.date)}):
        return locked(exc, reason=WAGE_LOCKED, locked_by=batch.approvers.get((employee, f"{slot.date:%Y-%m}"), ""))
    return refusal(exc, reason=WAGE_REFUSED, locked_reason=WAGE_LOCKED)


def _find(batch: Batch, slot: HourSlot) -> dict | None:
    employee, date, wage_type = _key(batch, slot)
    for spec in batch.client.timesheet_salary_type_spec_list(
        date_from=slot.date, date_to=slot.date + dt.timedelta(days=1), employee_id=employee, fields=FIELDS
    ):
        if (spec.get("salaryType") or {}).get("id") == wage_type and str(spec.get("date"))[:10] == date:
            return spec
    return None


def _linked(batch: Batch, slot: HourSlot) -> bool:
    return batch.links.get((Link.Kind.WAGE_TYPE, slot.wage_type_id)) is not None


def _key(batch: Batch, slot: HourSlot) -> tuple:
    return (batch.links[(Link.Kind.EMPLOYEE, slot.employee_id)], slot.date.isoformat(),
            batch.links[(Link.Kind.WAGE_TYPE, slot.wage_type_id)])
