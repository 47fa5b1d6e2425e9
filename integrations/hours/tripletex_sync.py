"""Writing a batch's slots to Tripletex: timesheet entries and wage-type counts, created, updated, deleted
or found again by key; Tripletex's errors sorted into refused, locked or "try again later"; our activities
linked on the way; one client per company per worker process.

Every write makes Tripletex equal to what our database says now, never "add these hours", so sending a
slot twice changes nothing, and a slot whose create may have happened (timeout, dropped connection,
killed worker) is looked up in Tripletex by its key before it is sent again.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db import connection as db
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hr.models import Activity
from tenants.models import Tenant

from ..clients import client_for_connection
from ..models import Connection, HourSlot, HourTransfer, Link, SyncRecord
from ..tripletex import (
    Conflict,
    InDoubt,
    Locked,
    NotFound,
    RateLimited,
    TripletexClient,
    TripletexError,
)
from .config import conf

logger = logging.getLogger("integrations.hours")

State, Action = HourTransfer.State, HourTransfer.Action

# Reasons shown to the admin (msgids; translated where they are shown).
HOLD_EMPLOYEE = _("ansatt ikke koblet til Tripletex")
HOLD_PROJECT = _("prosjekt ikke koblet til Tripletex")
HOLD_ACTIVITY = _("aktivitet ikke koblet til Tripletex")
HOLD_WAGE_TYPE = _("lønnsart ikke koblet til Tripletex")
REASON_LOCKED = _("låst i Tripletex")
REASON_REFUSED = _("avvist av Tripletex")

ENTRY_FIELDS = "id,version,date,hours,comment,locked,employee(id),project(id),activity(id)"
WAGE_FIELDS = "id,version,date,count,description,employee(id),salaryType(id)"


# One batch: its slots, their links, and what became of each slot.


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


# Sending a batch: links first, then what each slot must hold.


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
