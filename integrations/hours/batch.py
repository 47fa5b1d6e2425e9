"""Sending one claimed batch: its links first, then each slot's timesheet entry, then the wage-type counts of
the hours that went. What became of each slot is left in `batch.results` for the push to mark the rows."""
from __future__ import annotations

from collections import defaultdict

from django.db.models import Q
from django.utils.translation import gettext_noop

from hr.models import Project

from ..connectors.activities import activity_link
from ..models import HourSlot, HourTransfer, Link, OutboundChange, SyncRecord
from . import entries, wages
from .slots import THEIRS, Batch, SlotResult, clear, load_ours, load_theirs, our_hours

State, Action = HourTransfer.State, HourTransfer.Action

# Reasons shown to the admin (msgids; translated where they are shown).
HOLD_EMPLOYEE = gettext_noop("ansatt ikke koblet til Tripletex")
HOLD_PROJECT = gettext_noop("prosjekt ikke koblet til Tripletex")
HOLD_ACTIVITY = gettext_noop("aktivitet ikke koblet til Tripletex")


def send(batch: Batch) -> None:
    rows = batch.rows
    slots = {r.slot_id: r.slot for r in rows}
    wage_slots = {r.wage_slot_id: r.wage_slot for r in rows if r.wage_slot_id}
    _forget_other_company(batch, [*slots.values(), *wage_slots.values()])
    _load_links(batch, rows)
    load_theirs(batch, [*slots, *wage_slots])
    # All of a slot's pending rows are in its batch (the claim takes them together), so a slot's entry holds
    # what was sent before and what goes now: never a held, failed or locked row's hours.
    sent_now = [r.id for r in rows if r.action == Action.UPSERT]
    load_ours(batch, slot_ids=list(slots), field="slot_id", counted=Q(state=State.SENT) | Q(id__in=sent_now))

    work = []
    for slot in slots.values():
        ours = our_hours(batch, slot)
        if slot.tripletex_id is None and not slot.in_doubt and ours == 0:
            batch.results[slot.id] = SlotResult(ok=True, action=SyncRecord.Action.DELETED)  # nothing there to take back
            continue
        # Taking hours back needs only the id we hold; sending them needs every link.
        hold = _hold_reason(batch, slot) if ours or slot.tripletex_id is None else None
        if hold:
            batch.results[slot.id] = SlotResult(state=State.HELD, reason=hold)
            continue
        work.append(slot)
    _ask_for_projects(batch, {s.project_id for s in slots.values()
                              if batch.results.get(s.id) and batch.results[s.id].reason == HOLD_PROJECT})
    entries.sync(batch, work)
    wages.sync(batch, [r for r in rows if r.wage_slot_id and _went(batch, r)])


def _went(batch: Batch, row: HourTransfer) -> bool:
    result = batch.results.get(row.slot_id)
    return result is not None and result.ok


def _forget_other_company(batch: Batch, slots: list[HourSlot]) -> None:
    other = [s for s in slots if s.tripletex_company_id not in (None, batch.company_id)]
    if other:
        # Linked to another Tripletex company before a reconnect: that object, and anyone's share of it,
        # belong to that company.
        HourTransfer.objects.filter(tenant=batch.tenant, local_entry_id=THEIRS, slot__in=other).delete()
    for slot in other:
        clear(slot)
    for slot in slots:
        slot.tripletex_company_id = batch.company_id


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
            batch.links[(Link.Kind.ACTIVITY, activity_id)] = activity_link(
                tenant=batch.tenant, client=batch.client, company_id=batch.company_id, activity_id=activity_id
            )


def _ask_for_projects(batch: Batch, project_ids: set[int]) -> None:
    """Seed 004: a project made before the integration was on still becomes a project in Tripletex when hours
    need it. Only the connector standing in for projects (invoices, while no connector owning them is on) is
    asked, once per project: a connector that owns projects (master_data) decides by its own rules. The hours
    stay held; the connector releases them once it has linked the project."""
    if not project_ids:
        return
    from ..connectors import registry
    from ..connectors.services import enabled_connectors, local_change_record

    enabled = {c.name for c in enabled_connectors(tenant=batch.tenant)}
    senders = registry.senders_of(Link.Kind.PROJECT, enabled=enabled)
    if not any(Link.Kind.PROJECT in c.kinds_if_unowned for c in senders):
        return
    waiting = set(OutboundChange.objects.filter(
        tenant=batch.tenant, kind=Link.Kind.PROJECT, local_id__in=project_ids,
        state__in=(OutboundChange.State.PENDING, OutboundChange.State.SENDING),
    ).values_list("local_id", flat=True))
    for project in Project.objects.filter(tenant=batch.tenant, id__in=project_ids - waiting).order_by("id"):
        local_change_record(tenant=batch.tenant, kind=Link.Kind.PROJECT, local_id=project.id,
                            snapshot={"label": str(project)})


def _hold_reason(batch: Batch, slot: HourSlot) -> str | None:
    if batch.links.get((Link.Kind.EMPLOYEE, slot.employee_id)) is None:
        return HOLD_EMPLOYEE
    if batch.links.get((Link.Kind.PROJECT, slot.project_id)) is None:
        return HOLD_PROJECT
    if batch.links.get((Link.Kind.ACTIVITY, slot.activity_id)) is None:
        return HOLD_ACTIVITY
    return None
