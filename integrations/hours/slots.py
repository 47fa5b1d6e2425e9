"""A batch's slots: what each must hold in Tripletex, whose hours those are, and what became of each slot.

A slot's target is the sum of our rows whose hours are meant to be in Tripletex (sent before, or sent now
in this batch; never a held, failed or locked row's) plus, on an object someone else made, their share.

Their share: when Tripletex already holds an entry (or a wage-type count) on a key we write to and we did
not make it, its hours are someone else's — typed by hand in Tripletex. They are kept in a row of their
own (`local_entry_id` = THEIRS, no entry), ours are added to them, and from then on only our part changes:
taking ours back writes theirs back instead of deleting the object. A change someone makes by hand later
is found by its version (a write refused as stale, a count read before it is deleted) and moved into
their share. We delete only what holds nothing but ours.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection as db
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from tenants.models import Tenant

from ..models import HourSlot, HourTransfer, SyncRecord
from ..tripletex import Forbidden, RateLimited, TripletexClient, TripletexError, Unauthorized
from ..tripletex.errors import Refusal, classify, describe

logger = logging.getLogger("integrations.hours")

State, Action = HourTransfer.State, HourTransfer.Action

# The `local_entry_id` of the row that holds someone else's share of a slot: no entry of ours has id 0.
THEIRS = 0

# Refusals that are about the call, not the data: the rate limit, the key, the rights of the key's user. They
# stop the batch at once (nothing more can go) and are never taken for a refusal of one slot's hours.
STOPS_BATCH = (RateLimited, Unauthorized, Forbidden)

# Reasons shown to the admin: stored as msgids, translated where they are shown.
REASON_LOCKED = gettext_noop("låst i Tripletex")
REASON_REFUSED = gettext_noop("avvist av Tripletex")
LOCKED_MESSAGE = gettext_noop("Timene er godkjent eller låst i Tripletex.")


@dataclass
class SlotResult:
    ok: bool = False
    state: str = ""  # LOCKED, FAILED or HELD (for good), or "" with ok=False for "try again later"
    reason: str = ""
    message: str = ""
    request_id: str = ""
    action: str = SyncRecord.Action.UPDATED
    locked_by: str = ""  # LOCKED: who approved the period in Tripletex, when its month status said


@dataclass
class Batch:
    tenant: Tenant
    company_id: int
    client: TripletexClient
    rows: list[HourTransfer] = field(default_factory=list)
    links: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)  # slot id (a wage count: ("wage", slot id)) → SlotResult
    # 403s met on the way that did not stop the batch, for the push to record the rights they name.
    forbidden: list = field(default_factory=list)
    # (Tripletex employee id, "YYYY-MM") → who approved that month in Tripletex, as its month status says; and
    # the months whose status Tripletex gave (a month it did not answer for is not known to be open).
    approvers: dict = field(default_factory=dict)
    months_read: set = field(default_factory=set)
    ours: dict = field(default_factory=dict)  # slot id → (our hours, our comments joined)
    theirs: dict = field(default_factory=dict)  # slot id → the row with their share


def slots_of(rows: Iterable[HourTransfer]) -> list[HourSlot]:
    found = {}
    for r in rows:
        found[r.slot_id] = r.slot
        if r.wage_slot_id:
            found[r.wage_slot_id] = r.wage_slot
    return list(found.values())


# What a slot must hold.


def load_theirs(batch: Batch, slot_ids: list[int]) -> None:
    batch.theirs.update(
        (row.slot_id, row) for row in HourTransfer.objects.filter(
            tenant=batch.tenant, local_entry_id=THEIRS, slot_id__in=slot_ids
        )
    )


def load_ours(batch: Batch, *, slot_ids: list[int], field: str, counted: Q) -> None:
    """Our rows' sum per slot and their comments joined, counting only the rows `counted` selects."""
    if not slot_ids:
        return
    sums: dict[int, Decimal] = defaultdict(Decimal)
    comments: dict[int, list[str]] = defaultdict(list)
    rows = HourTransfer.objects.filter(tenant=batch.tenant, **{f"{field}__in": slot_ids}, action=Action.UPSERT)
    for slot_id, hours, comment in rows.filter(counted).exclude(local_entry_id=THEIRS).order_by(
        "local_entry_id"
    ).values_list(field, "hours", "comment"):
        sums[slot_id] += hours
        if comment and comment not in comments[slot_id]:
            comments[slot_id].append(comment)
    batch.ours.update({i: (sums[i], join_comments(*comments[i])) for i in slot_ids})


def our_hours(batch: Batch, slot: HourSlot) -> Decimal:
    return batch.ours.get(slot.id, (Decimal(0), ""))[0]


def target(batch: Batch, slot: HourSlot) -> tuple[Decimal, str]:
    """What Tripletex's object on the slot's key must hold: their share, if any, and ours."""
    hours, comment = batch.ours.get(slot.id, (Decimal(0), ""))
    share = batch.theirs.get(slot.id)
    if share is None:
        return hours, comment
    return share.hours + hours, join_comments(share.comment, comment)


def join_comments(*parts: str) -> str:
    return "; ".join(p for p in parts if p)[:500]


# What Tripletex holds, and whose it is.


def value(remote: dict, hours_field: str, comment_field: str) -> tuple[Decimal, str]:
    return Decimal(str(remote.get(hours_field) or 0)), remote.get(comment_field) or ""


def adopt(slot: HourSlot, remote: dict, *, hours_field: str = "hours", comment_field: str = "comment") -> None:
    slot.tripletex_id = remote["id"]
    slot.tripletex_version = remote.get("version")
    slot.hours, slot.comment = value(remote, hours_field, comment_field)
    slot.in_doubt = False


def clear(slot: HourSlot) -> None:
    """Nothing of ours in Tripletex on this slot (any more)."""
    slot.tripletex_id = slot.tripletex_version = slot.hours = None
    slot.comment = ""
    slot.in_doubt = False


def drop_theirs(batch: Batch, slot: HourSlot) -> None:
    """The object is gone from Tripletex (or belongs to another Tripletex company): their share with it."""
    share = batch.theirs.pop(slot.id, None)
    if share is not None:
        share.delete()


def take_as_theirs(batch: Batch, slot: HourSlot, remote: dict, *, hours_field: str = "hours",
                   comment_field: str = "comment") -> None:
    """An object on our key that we did not make: all of it is theirs, and ours will be added to it."""
    hours, comment = value(remote, hours_field, comment_field)
    _keep_theirs(batch, slot, hours, comment)
    adopt(slot, remote, hours_field=hours_field, comment_field=comment_field)
    _store(batch, slot)


def rebase(batch: Batch, slot: HourSlot, remote: dict, *, ours_possible: bool, hours_field: str = "hours",
           comment_field: str = "comment") -> None:
    """Tripletex's object changed since we last wrote it (its version moved): adopt it, and whatever it holds
    beyond our part as last written is theirs.

    When a write of ours may have gone through unanswered (`ours_possible`: the client resent it, or a worker
    died with the slot's write in doubt), holding exactly what we meant to write is that write, not someone's
    hand. A hand edit that cut into our part leaves theirs at nothing; ours are written again in full.
    """
    remote_hours, remote_comment = value(remote, hours_field, comment_field)
    ours = ours_possible and (remote_hours, remote_comment) == target(batch, slot)
    if slot.hours is not None and not ours:
        share = batch.theirs.get(slot.id)
        their_hours, their_comment = (share.hours, share.comment) if share else (Decimal(0), "")
        ours_written = _our_part(slot.comment, their_comment)
        hours = max(Decimal(0), remote_hours - (slot.hours - their_hours))
        comment = _their_part(remote_comment, ours_written)
        if share is not None or hours or comment:
            _keep_theirs(batch, slot, hours, comment)
    adopt(slot, remote, hours_field=hours_field, comment_field=comment_field)
    _store(batch, slot)


def _keep_theirs(batch: Batch, slot: HourSlot, hours: Decimal, comment: str) -> None:
    share = batch.theirs.get(slot.id)
    if share is None:
        share = batch.theirs[slot.id] = HourTransfer(
            tenant=batch.tenant, entry=None, local_entry_id=THEIRS, slot=slot, hours=hours,
            comment=comment[:500], action=Action.UPSERT, state=State.SENT,
        )
    share.hours, share.comment = hours, comment[:500]


def _store(batch: Batch, slot: HourSlot) -> None:
    # Their share and the version it was read at are one fact: a worker dying between two separate writes
    # would count a hand edit twice.
    with transaction.atomic():
        share = batch.theirs.get(slot.id)
        if share is not None:
            share.save()
        save_slots([slot])


def _our_part(written: str, theirs: str) -> str:
    if not theirs:
        return written
    if written == theirs:
        return ""
    return written.removeprefix(theirs + "; ")


def _their_part(remote: str, ours: str) -> str:
    """What is left of the object's comment without the part we wrote (before or after theirs)."""
    if not ours:
        return remote
    if remote == ours:
        return ""
    if remote.endswith("; " + ours):
        return remote[: -len(ours) - 2]
    if remote.startswith(ours + "; "):
        return remote[len(ours) + 2:]
    return remote


# Locks: Tripletex's own status, never the words of a refusal.


def locked_days(batch: Batch, days: set[tuple[int, dt.date]]) -> set[tuple[int, dt.date]]:
    """Which (Tripletex employee id, day) Tripletex has approved, from its month status per employee."""
    months: dict[tuple[int, int], set[int]] = defaultdict(set)
    for employee, day in days:
        months[(day.year, day.month)].add(employee)
    locked = set()
    for (year, month), employees in months.items():
        try:
            statuses = batch.client.timesheet_month_status(
                employee_ids=sorted(employees), month=f"{year:04d}-{month:02d}", fields=MONTH_FIELDS,
            )
        except STOPS_BATCH:
            raise
        except TripletexError as exc:  # cannot tell: the refusal stands as Tripletex gave it
            logger.warning("month status for tenant %s: %s", batch.tenant.id, exc)
            continue
        batch.months_read.add(f"{year:04d}-{month:02d}")
        for status in statuses:
            employee = (status.get("employee") or {}).get("id")
            until = str(status.get("approvedUntilDate") or "")[:10]
            if approver_name(status):
                batch.approvers[(employee, f"{year:04d}-{month:02d}")] = approver_name(status)
            for e, day in days:
                if e == employee and (day.year, day.month) == (year, month) and (
                    status.get("approved") or (until and day.isoformat() <= until)
                ):
                    locked.add((e, day))
    return locked


MONTH_FIELDS = "employee(id),approved,approvedUntilDate,approvedDate,approvedBy(firstName,lastName)"


def approver_name(status: dict) -> str:
    """"Kari Nordmann (03.12.2026)": who approved the month in Tripletex, and when, from its month status."""
    person = status.get("approvedBy") or {}
    name = f"{person.get('firstName') or ''} {person.get('lastName') or ''}".strip()
    day = str(status.get("approvedDate") or "")[:10]
    if name and day:
        name = f"{name} ({day[8:10]}.{day[5:7]}.{day[:4]})"
    return name[:200]


# Results.


def later(exc: TripletexError | None, *, message: str = "") -> SlotResult:
    return SlotResult(message=describe(exc) if exc else message, request_id=(exc.request_id or "") if exc else "")


def locked(exc: TripletexError | None = None, *, reason: str = REASON_LOCKED, locked_by: str = "") -> SlotResult:
    return SlotResult(state=State.LOCKED, reason=reason, message=describe(exc) if exc else LOCKED_MESSAGE,
                      request_id=(exc.request_id or "") if exc else "", locked_by=locked_by)


def refusal(exc: TripletexError, *, reason: str = REASON_REFUSED, locked_reason: str = REASON_LOCKED) -> SlotResult:
    """A refusal Tripletex gave for good: locked only when it said so with its status (423)."""
    if classify(exc) == Refusal.LOCKED:
        return locked(exc, reason=locked_reason)
    return SlotResult(state=State.FAILED, reason=reason, message=describe(exc), request_id=exc.request_id or "")


# Storing what we learnt.

_SAVED = ("tripletex_company_id", "tripletex_id", "tripletex_version", "hours", "comment", "in_doubt", "updated_at")


@functools.cache
def _save_sql() -> str:
    meta = HourSlot._meta
    columns = ", ".join(f"{db.ops.quote_name(meta.get_field(f).column)} = %s" for f in _SAVED)
    return f"UPDATE {db.ops.quote_name(meta.db_table)} SET {columns} WHERE id = %s"


@functools.cache
def _save_sql_arrays() -> str:
    """PostgreSQL: every slot in one statement, one array per column, the time once."""
    meta, q = HourSlot._meta, db.ops.quote_name
    values = _SAVED[:-1]
    types = {"tripletex_version": "integer", "hours": "numeric", "comment": "text", "in_doubt": "boolean"}
    arrays = ", ".join(f"%s::{types.get(f, 'bigint')}[]" for f in ("id", *values))
    columns = ", ".join(f"{q(meta.get_field(f).column)} = v.{f}" for f in values)
    return (f"UPDATE {q(meta.db_table)} AS s SET {columns}, {q(meta.get_field('updated_at').column)} = %s "
            f"FROM unnest({arrays}) AS v(id, {', '.join(values)}) WHERE s.id = v.id")


def save_slots(slots: Iterable[HourSlot]) -> None:
    slots = list(slots)
    if not slots:
        return
    # One prepared statement run per slot (executemany): bulk_update's CASE per field costs more time to
    # build than the whole Tripletex call for a batch of 200, and every slot's values differ.
    meta = HourSlot._meta
    hours, updated_at = meta.get_field("hours"), meta.get_field("updated_at")
    now = timezone.now()
    stamp = updated_at.get_db_prep_save(now, db)
    # In `_SAVED`'s order. The field's own conversion only where the database needs one (the decimal); ids,
    # version, text and the flag go as they are: converting every value through its field cost more than
    # the statement.
    params = []
    for slot in slots:
        slot.updated_at = now
        params.append([slot.tripletex_company_id, slot.tripletex_id, slot.tripletex_version,
                       hours.get_db_prep_save(slot.hours, db), slot.comment, bool(slot.in_doubt), stamp, slot.id])
    if db.vendor == "postgresql":
        # executemany is a round trip per slot there, which cost a batch more than its Tripletex call.
        columns = [list(c) for c in zip(*params, strict=True)]
        with db.cursor() as cursor:
            cursor.execute(_save_sql_arrays(), [stamp, columns[-1], *columns[:-2]])
        return
    # One transaction: in autocommit every statement would be its own commit (and fsync). Inside the caller's
    # transaction no savepoint: a failure here undoes the caller's work anyway.
    with transaction.atomic(savepoint=False), db.cursor() as cursor:
        cursor.executemany(_save_sql(), params)
