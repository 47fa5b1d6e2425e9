"""Seed 004 (Drifti), projects for hours: «Dersom oppdraget er opprettet i Drifti før integrasjonen ble aktivert – vil
det likevel opprettes et tilsvarende prosjekt i Tripletex ved overføring av timer eller fakturaer».

Hours on a project with no link are held; the hours push queues the project for "Faktura og innbetalinger" (only
while no connector owning projects is on), which finds it by number or creates it, and then lets the hours go."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django_scopes import scope

from hr.models import TimeEntry
from hr.services import time_entries_approve
from integrations.connectors.invoices import rules
from integrations.hours import push
from integrations.hours.batch import HOLD_PROJECT
from integrations.models import ConnectorConfig, HourTransfer, Link, OutboundChange, SyncRecord
from tests.factories import ActivityFactory, EmployeeFactory, ProjectFactory, TimeEntryFactory

from .invoices_setup import drifti, tripletex_settings  # noqa: F401

pytestmark = pytest.mark.django_db
State = HourTransfer.State


@pytest.fixture
def hours(drifti):
    """A linked employee and activity, and a project made here before the integration was on (no link, no change)."""
    cid = drifti.company_id
    remote_emp = drifti.fake.objects(cid, "employee")[0]
    employee = EmployeeFactory(tenant=drifti.tenant, first_name=remote_emp["firstName"],
                               last_name=remote_emp.get("lastName", "X"))
    Link.objects.create(tenant=drifti.tenant, kind=Link.Kind.EMPLOYEE, local_id=employee.id, tripletex_company_id=cid,
                        tripletex_id=remote_emp["id"])
    remote_act = next(a for a in drifti.fake.objects(cid, "activity")
                      if a["activityType"] == "PROJECT_GENERAL_ACTIVITY")
    activity = ActivityFactory(tenant=drifti.tenant, number="L1", name="Montering")
    Link.objects.create(tenant=drifti.tenant, kind=Link.Kind.ACTIVITY, local_id=activity.id, tripletex_company_id=cid,
                        tripletex_id=remote_act["id"])
    project = ProjectFactory(tenant=drifti.tenant, number="8101", name="Gammelt oppdrag",
                             start_date=dt.date(2025, 6, 1))
    return {"employee": employee, "activity": activity, "project": project}


def _approve_hours(drifti, hours, *, day=0, amount="7.50") -> TimeEntry:
    with scope(tenant=drifti.tenant):
        entry = TimeEntryFactory(tenant=drifti.tenant, employee=hours["employee"], project=hours["project"],
                                 activity=hours["activity"], date=dt.date(2026, 11, 2) + dt.timedelta(days=day),
                                 hours=Decimal(amount), status=TimeEntry.Status.SUBMITTED)
        time_entries_approve(tenant=drifti.tenant, entries=TimeEntry.objects.filter(id=entry.id), by=None)
    return entry


def _push_hours(drifti) -> None:
    with scope(tenant=drifti.tenant):
        for _ in range(10):
            outcome = push.hours_push_pending(tenant=drifti.tenant)
            if not outcome.more and not outcome.batches:
                return


def _due_now(drifti) -> None:
    # The hours push and the connector's push are tasks with a short countdown; here they run at once.
    with scope(tenant=drifti.tenant):
        OutboundChange.objects.filter(tenant=drifti.tenant).update(next_attempt_at=None)
        HourTransfer.objects.filter(tenant=drifti.tenant).update(next_attempt_at=None)


def _theirs(drifti, number: str) -> list[dict]:
    return [p for p in drifti.fake.objects(drifti.company_id, "project") if str(p["number"]) == number]


def _project_changes(drifti, project) -> list[OutboundChange]:
    with scope(tenant=drifti.tenant):
        return list(OutboundChange.objects.filter(tenant=drifti.tenant, kind="project", local_id=project.id))


def _rows(drifti) -> list[tuple[str, str]]:
    with scope(tenant=drifti.tenant):
        return [(r.state, r.reason) for r in HourTransfer.objects.filter(tenant=drifti.tenant).order_by("id")]


def test_project_made_before_activation_is_created_in_tripletex_when_its_hours_are_transferred(drifti, hours):
    project = hours["project"]
    assert _project_changes(drifti, project) == []  # made before the integration: nothing was queued then
    _approve_hours(drifti, hours)
    _push_hours(drifti)
    assert _rows(drifti) == [(State.HELD, HOLD_PROJECT)]  # held with its reason while the project is on its way
    assert len(_project_changes(drifti, project)) == 1
    _due_now(drifti)
    drifti.push()
    [made] = _theirs(drifti, "8101")
    assert (made["name"], made["startDate"]) == ("Gammelt oppdrag", "2025-06-01")
    assert drifti.link("project", project.id).tripletex_id == made["id"]
    assert _rows(drifti) == [(State.PENDING, "")]  # released by the connector once linked
    _push_hours(drifti)
    assert _rows(drifti) == [(State.SENT, "")]
    [entry] = drifti.fake.objects(drifti.company_id, "timesheet_entry")
    assert (entry["project"]["id"], Decimal(str(entry["hours"]))) == (made["id"], Decimal("7.50"))


def test_project_made_before_activation_with_its_number_already_in_tripletex_is_linked_not_changed_and_hours_go(
    drifti, hours
):
    manager = drifti.fake.objects(drifti.company_id, "employee")[0]["id"]
    theirs = drifti.fake.change(drifti.company_id, "project", name="Oppdrag (manuelt)", number="8101",
                                startDate="2026-01-01", projectManager={"id": manager})
    _approve_hours(drifti, hours)
    _push_hours(drifti)
    drifti.fake.clear_calls()
    _due_now(drifti)
    drifti.push()
    assert _theirs(drifti, "8101") == [theirs]  # same id, name and version: nothing written there
    assert "POST /project" not in drifti.calls() and "PUT /project/{id}" not in drifti.calls()
    [record] = drifti.records("project", hours["project"].id)
    assert (record.action, record.rule) == (SyncRecord.Action.LINKED, str(rules.PROJECT_FOUND))
    _push_hours(drifti)
    assert _rows(drifti) == [(State.SENT, "")]
    [entry] = drifti.fake.objects(drifti.company_id, "timesheet_entry")
    assert entry["project"]["id"] == theirs["id"]


def test_project_made_before_activation_is_not_queued_by_the_hours_push_while_the_two_way_connector_owns_projects(
    drifti, hours
):
    with scope(tenant=drifti.tenant):
        ConnectorConfig.objects.create(tenant=drifti.tenant, name="master_data", enabled=True)
    _approve_hours(drifti, hours)
    _push_hours(drifti)
    assert _project_changes(drifti, hours["project"]) == []
    assert _rows(drifti) == [(State.HELD, HOLD_PROJECT)]
    assert _theirs(drifti, "8101") == []


def test_project_made_before_activation_is_not_queued_while_the_invoices_connector_is_off(drifti, hours):
    with scope(tenant=drifti.tenant):
        ConnectorConfig.objects.filter(tenant=drifti.tenant, name="invoices").update(enabled=False)
    _approve_hours(drifti, hours)
    _push_hours(drifti)
    assert _project_changes(drifti, hours["project"]) == []
    assert _rows(drifti) == [(State.HELD, HOLD_PROJECT)]


def test_project_made_before_activation_is_created_once_when_the_same_held_hours_are_pushed_twice(drifti, hours):
    from integrations.hours.outbox import hour_transfers_retry

    _approve_hours(drifti, hours)
    _push_hours(drifti)
    with scope(tenant=drifti.tenant):
        hour_transfers_retry(tenant=drifti.tenant)  # "Prøv igjen" before the connector ran
    _push_hours(drifti)
    _approve_hours(drifti, hours, day=1)
    _push_hours(drifti)
    assert len(_project_changes(drifti, hours["project"])) == 1  # one change waits, not one per push
    _due_now(drifti)
    drifti.push()
    drifti.push()
    _push_hours(drifti)
    [made] = _theirs(drifti, "8101")
    assert _rows(drifti) == [(State.SENT, ""), (State.SENT, "")]
    assert {e["project"]["id"] for e in drifti.fake.objects(drifti.company_id, "timesheet_entry")} == {made["id"]}


def test_only_hours_held_for_the_linked_project_are_released(drifti, hours):
    with scope(tenant=drifti.tenant):
        other = ProjectFactory(tenant=drifti.tenant, number="", name="Uten nummer")
        _approve_hours(drifti, hours)
        entry = TimeEntryFactory(tenant=drifti.tenant, employee=hours["employee"], project=other,
                                 activity=hours["activity"], date=dt.date(2026, 11, 3), hours=Decimal("2.00"),
                                 status=TimeEntry.Status.SUBMITTED)
        time_entries_approve(tenant=drifti.tenant, entries=TimeEntry.objects.filter(id=entry.id), by=None)
    _push_hours(drifti)
    _due_now(drifti)
    drifti.push()
    # The project without a number cannot be found again in Tripletex, so it is refused and its hours stay held.
    assert _theirs(drifti, "8101") and drifti.link("project", other.id) is None
    assert _rows(drifti) == [(State.PENDING, ""), (State.HELD, HOLD_PROJECT)]


def test_project_made_before_activation_created_for_an_invoice_lets_hours_held_for_it_go(drifti, hours):
    with scope(tenant=drifti.tenant):
        ConnectorConfig.objects.filter(tenant=drifti.tenant, name="invoices").update(enabled=False)
        _approve_hours(drifti, hours)
        _push_hours(drifti)
        assert _rows(drifti) == [(State.HELD, HOLD_PROJECT)] and _project_changes(drifti, hours["project"]) == []
        ConnectorConfig.objects.filter(tenant=drifti.tenant, name="invoices").update(enabled=True)
    invoice = drifti.issue(project=hours["project"])
    drifti.push()
    [made] = _theirs(drifti, "8101")
    assert {p["project"]["number"] for p in drifti.voucher(str(invoice.number))["postings"] if p.get("project")} == {
        "8101"}
    assert _rows(drifti) == [(State.PENDING, "")]
    _push_hours(drifti)
    [entry] = drifti.fake.objects(drifti.company_id, "timesheet_entry")
    assert entry["project"]["id"] == made["id"]
