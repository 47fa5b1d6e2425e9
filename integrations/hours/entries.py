"""Timesheet entries: make Tripletex's entry on each slot's key hold the slot's target (`slots.target`).

Every write sets the entry to what our database says now, never "add these hours", so sending a slot twice
changes nothing. A create is written ahead — the slot says that it is in doubt and what it carries — so a
create whose answer never came (timeout, dropped connection, killed worker) is looked up by its key before
it is sent again, and what is found there is told apart: ours if it holds what we sent, someone else's if
not. /list calls are all or nothing: a refused batch created nothing, so whatever holds one of its keys is
someone else's, and the one entry Tripletex refuses is found by halves.
"""
from __future__ import annotations

import datetime as dt

from ..models import HourSlot, Link, SyncRecord
from ..tripletex import Conflict, InDoubt, NotFound, TripletexError
from .slots import (
    STOPS_BATCH,
    Batch,
    SlotResult,
    adopt,
    clear,
    drop_theirs,
    later,
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

FIELDS = "id,version,date,hours,comment,locked,employee(id),project(id),activity(id)"


def sync(batch: Batch, slots: list[HourSlot]) -> None:
    doubtful = [s for s in slots if s.in_doubt and s.tripletex_id is None]
    if doubtful:
        # Left in doubt by an earlier worker: which of its creates went together is not known here.
        _settle_doubt(batch, doubtful, one_post=False)
    _write(batch, slots, reread=True)


def _write(batch: Batch, slots: list[HourSlot], *, reread: bool) -> None:
    creates, updates, deletes = [], [], []
    for slot in slots:
        if slot.id in batch.results:
            continue  # settled on the way here (an entry Tripletex has locked)
        if slot.tripletex_id is None:
            if our_hours(batch, slot) > 0:
                creates.append(slot)
            else:
                batch.results[slot.id] = SlotResult(ok=True, action=SyncRecord.Action.DELETED)
        elif our_hours(batch, slot) == 0 and slot.id not in batch.theirs:
            deletes.append(slot)  # it holds nothing but ours
        elif (slot.hours, slot.comment) != target(batch, slot):
            updates.append(slot)
        else:
            batch.results[slot.id] = SlotResult(ok=True, action=SyncRecord.Action.LINKED)
    _create(batch, creates)
    # A create that found someone's entry on its key adds our hours to it.
    updates += [s for s in creates if s.id not in batch.results and s.tripletex_id is not None]
    _update(batch, updates, reread=reread)
    for slot in deletes:
        batch.results[slot.id] = _delete(batch, slot, reread=reread)


def _create(batch: Batch, slots: list[HourSlot], *, looked: bool = False) -> None:
    if not slots:
        return
    for s in slots:
        s.hours, s.comment = target(batch, s)
        s.in_doubt, s.tripletex_company_id = True, batch.company_id
    # Write-ahead: a worker that dies after this looks before it sends again, and knows what it sent.
    save_slots(slots)
    try:
        created = batch.client.timesheet_entry_create_many([_body(batch, s) for s in slots])
    except InDoubt as exc:
        _settle_doubt(batch, slots, one_post=True)
        for s in slots:
            if s.id not in batch.results and s.tripletex_id is None:
                batch.results[s.id] = later(exc)
            elif s.id not in batch.results and s.id not in batch.theirs:
                batch.results[s.id] = SlotResult(ok=True, action=SyncRecord.Action.CREATED)
        return
    except TripletexError as exc:
        for s in slots:
            clear(s)  # refused: nothing of this call went in
        if isinstance(exc, STOPS_BATCH):
            raise
        if not exc.permanent:
            for s in slots:
                batch.results[s.id] = later(exc)
            return
        _after_refused_create(batch, slots, exc, looked=looked)
        return
    by_key = {_key(batch, s): s for s in slots}
    for i, remote in enumerate(created or []):
        slot = by_key.get(_remote_key(remote)) or (slots[i] if i < len(slots) else None)
        if slot is not None:
            adopt(slot, remote)
            batch.results[slot.id] = SlotResult(ok=True, action=SyncRecord.Action.CREATED)
    for s in slots:
        # Answered without it: still in doubt, so the next try looks first.
        batch.results.setdefault(s.id, later(None, message="Tripletex answered without the entry"))


def _after_refused_create(batch: Batch, slots: list[HourSlot], exc: TripletexError, *, looked: bool) -> None:
    rest = slots
    if not looked:
        # Nothing of a refused /list went in: an entry now on one of its keys is someone else's (typed by
        # hand), and a day Tripletex has approved is locked. Both asked once per refused batch, not per half.
        found = _search(batch, slots)
        for s in slots:
            remote = found.get(_key(batch, s))
            if remote is not None:
                _take(batch, s, remote)
        rest = [s for s in slots if s.tripletex_id is None]
        days = locked_days(batch, {(_employee(batch, s), s.date) for s in rest})
        for s in rest:
            if (_employee(batch, s), s.date) in days:
                batch.results[s.id] = locked(
                    exc, locked_by=batch.approvers.get((_employee(batch, s), f"{s.date:%Y-%m}"), ""))
        rest = [s for s in rest if s.id not in batch.results]
        if rest and len(rest) < len(slots):
            _create(batch, rest, looked=True)
            return
    if not rest:
        return
    if len(rest) == 1:
        batch.results[rest[0].id] = refusal(exc)
        return
    half = (len(rest) + 1) // 2
    _create(batch, rest[:half], looked=True)
    _create(batch, rest[half:], looked=True)


def _update(batch: Batch, slots: list[HourSlot], *, reread: bool) -> None:
    if not slots:
        return
    bodies = []
    for s in slots:
        hours, comment = target(batch, s)
        bodies.append({"id": s.tripletex_id, "version": s.tripletex_version or 0, "hours": hours, "comment": comment})
    # An earlier write of these slots whose answer never came (a worker died) may be what Tripletex holds now.
    earlier = {s.id for s in slots if s.in_doubt}
    for s in slots:
        s.in_doubt = True
    # Write-ahead: a worker that dies with this write unanswered leaves the next one that mark beside a stale
    # version, so it can tell our own write from someone's hand.
    save_slots(slots)
    try:
        updated = batch.client.timesheet_entry_update_many(bodies)
    except STOPS_BATCH:
        for s in slots:
            s.in_doubt = s.id in earlier  # refused before Tripletex looked at it
        raise
    except TripletexError as exc:
        if not exc.permanent:
            for s in slots:
                batch.results[s.id] = later(exc)
            return
        maybe_applied = getattr(exc, "maybe_applied", False)
        for s in slots:
            s.in_doubt = maybe_applied or s.id in earlier  # refused: this write did not go in
        if reread:
            # A stale version, an entry deleted or locked in Tripletex: read what it holds and start from that.
            _reread(batch, slots)
            _write(batch, slots, reread=False)
            return
        if isinstance(exc, (Conflict, NotFound)):
            for s in slots:  # changed again under us: the next try reads it again
                batch.results[s.id] = later(exc)
            return
        if len(slots) > 1:
            half = (len(slots) + 1) // 2
            _update(batch, slots[:half], reread=False)
            _update(batch, slots[half:], reread=False)
            return
        batch.results[slots[0].id] = refusal(exc)
        return
    by_id = {s.tripletex_id: s for s in slots}
    for remote in updated or []:
        slot = by_id.get(remote.get("id"))
        if slot is not None:
            adopt(slot, remote)
            batch.results[slot.id] = SlotResult(ok=True, action=SyncRecord.Action.UPDATED)
    for s in slots:
        batch.results.setdefault(s.id, SlotResult(ok=True, action=SyncRecord.Action.UPDATED))


def _delete(batch: Batch, slot: HourSlot, *, reread: bool) -> SlotResult:
    try:
        batch.client.timesheet_entry_delete(slot.tripletex_id, version=slot.tripletex_version or 0)
    except NotFound:
        pass  # already gone, which is what we wanted
    except STOPS_BATCH:
        raise
    except TripletexError as exc:
        if not exc.permanent:
            return later(exc)
        if not reread:
            return later(exc) if isinstance(exc, Conflict) else refusal(exc)
        # Changed by hand since we wrote it (then what was added is theirs and stays), or locked.
        _reread(batch, [slot])
        if slot.id not in batch.results:
            _write(batch, [slot], reread=False)
        return batch.results.pop(slot.id)
    clear(slot)
    return SlotResult(ok=True, action=SyncRecord.Action.DELETED)


def _reread(batch: Batch, slots: list[HourSlot]) -> None:
    """Read what Tripletex holds now; a slot marked in doubt may hold our own write whose answer was lost."""
    dates = [s.date for s in slots]
    remote = {e["id"]: e for e in batch.client.timesheet_entry_search(
        date_from=min(dates), date_to=max(dates) + dt.timedelta(days=1),
        params={"id": sorted(s.tripletex_id for s in slots)}, fields=FIELDS,
    )}
    for slot in slots:
        entry = remote.get(slot.tripletex_id)
        if entry is None:
            # Deleted in Tripletex by someone, their hours with it: ours go again as a new entry.
            drop_theirs(batch, slot)
            clear(slot)
            continue
        if entry.get("version") != slot.tripletex_version:
            rebase(batch, slot, entry, ours_possible=slot.in_doubt)
        slot.in_doubt = False
        if entry.get("locked"):
            batch.results[slot.id] = locked()


def _settle_doubt(batch: Batch, slots: list[HourSlot], *, one_post: bool) -> None:
    """Look up, by key, creates whose answer never came: ours if they hold what we sent, else someone's."""
    found = _search(batch, slots)
    # /list is all or nothing: one key of the call without an entry means none of the call went in.
    applied = not one_post or all(_key(batch, s) in found for s in slots)
    for slot in slots:
        remote = found.get(_key(batch, slot))
        if remote is None and not one_post:
            clear(slot)  # asked long after the create ended: what is not there was not created
        elif remote is None:
            pass  # Tripletex may still be working on the call it did not answer: the next try looks again
        elif applied and (slot.hours is None or value(remote, "hours", "comment") == (slot.hours, slot.comment)):
            # (No hours written ahead: a slot left in doubt before creates said what they carried.)
            adopt(slot, remote)
        else:
            _take(batch, slot, remote)


def _take(batch: Batch, slot: HourSlot, remote: dict) -> None:
    take_as_theirs(batch, slot, remote)
    if remote.get("locked"):
        batch.results[slot.id] = locked()


def _search(batch: Batch, slots: list[HourSlot]) -> dict[tuple, dict]:
    dates = [s.date for s in slots]
    wanted = {_key(batch, s) for s in slots}
    remote = batch.client.timesheet_entry_search(
        date_from=min(dates), date_to=max(dates) + dt.timedelta(days=1),
        employee_ids=sorted({k[0] for k in wanted}), fields=FIELDS,
    )
    return {key: e for e in remote if (key := _remote_key(e)) in wanted}


def _employee(batch: Batch, slot: HourSlot) -> int:
    return batch.links[(Link.Kind.EMPLOYEE, slot.employee_id)]


def _key(batch: Batch, slot: HourSlot) -> tuple:
    return (
        _employee(batch, slot), slot.date.isoformat(),
        batch.links[(Link.Kind.PROJECT, slot.project_id)], batch.links[(Link.Kind.ACTIVITY, slot.activity_id)],
    )


def _remote_key(entry: dict) -> tuple:
    return (
        (entry.get("employee") or {}).get("id"), str(entry.get("date"))[:10],
        (entry.get("project") or {}).get("id"), (entry.get("activity") or {}).get("id"),
    )


def _body(batch: Batch, slot: HourSlot) -> dict:
    employee, date, project, activity = _key(batch, slot)
    return {"employee": {"id": employee}, "project": {"id": project}, "activity": {"id": activity},
            "date": date, "hours": slot.hours, "comment": slot.comment}
