"""Seed 000, from here to Tripletex: local changes of projects, customers and employees, against the fake over HTTP.

Each test queues a change as the HR pages do (`local_change_record`) and runs the push as the worker does
(`outbound_changes_push`), then looks at what the fake Tripletex holds through its control API.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django_scopes import scope

from hr.models import Customer, Employee, Project
from integrations.connectors import runner
from integrations.connectors.master_data import rules
from integrations.connectors.services import local_change_record
from integrations.models import Connection, ConnectorConfig, Link, OutboundChange, SyncRecord, SyncRun
from integrations.services import connection_remove
from integrations.tripletex import TripletexClient
from tests.factories import CustomerFactory, EmployeeFactory, ProjectFactory

pytestmark = pytest.mark.django_db

Action = SyncRecord.Action
PROJECT, CUSTOMER, EMPLOYEE = Link.Kind.PROJECT, Link.Kind.CUSTOMER, Link.Kind.EMPLOYEE
KIND_OF = {Project: PROJECT, Customer: CUSTOMER, Employee: EMPLOYEE}


@dataclass
class Md:
    """Our company A, connected to a company of its own in the fake, with the master-data connector on."""

    fake: object
    tenant: object
    company_id: int
    token: str

    def change(self, row, op=OutboundChange.Op.UPSERT, snapshot=None):
        with scope(tenant=self.tenant), transaction.atomic():
            return local_change_record(tenant=self.tenant, kind=KIND_OF[type(row)], local_id=row.id, op=op,
                                       snapshot=snapshot)

    def push(self):
        with scope(tenant=self.tenant):
            return runner.outbound_changes_push(tenant=self.tenant)

    def sync(self, row, **kwargs):
        self.change(row, **kwargs)
        return self.push()

    def remote(self, kind: str) -> list[dict]:
        return self.fake.objects(self.company_id, kind)

    def remote_one(self, kind: str, **match) -> dict:
        hits = [o for o in self.remote(kind) if all(o.get(k) == v for k, v in match.items())]
        assert len(hits) == 1, f"{len(hits)} {kind} in Tripletex match {match}"
        return hits[0]

    def link(self, row) -> Link:
        return Link.objects.get(tenant=self.tenant, kind=KIND_OF[type(row)], local_id=row.id,
                                tripletex_company_id=self.company_id)

    def records(self, row=None) -> list[SyncRecord]:
        qs = SyncRecord.objects.filter(tenant=self.tenant)
        if row is not None:
            qs = qs.filter(object_kind=KIND_OF[type(row)], local_id=row.id)
        return list(qs.order_by("id"))

    def last_record(self, row) -> SyncRecord:
        return self.records(row)[-1]

    def calls(self) -> dict[str, int]:
        return self.fake.calls(self.company_id)

    def writes(self) -> dict[str, int]:
        """Calls that change objects in Tripletex (a new session token changes none)."""
        return {k: v for k, v in self.calls().items() if not k.startswith("GET") and "/token/session/" not in k}

    def read(self, path: str, fields: str) -> dict:
        """One object as Tripletex's API gives it, with nested `fields` (the control API does not expand)."""
        session = self.fake.session(employee_token=self.token)
        return session.get(f"{self.fake.base_url}{path}", params={"fields": fields}, timeout=10).json()["value"]

    def tripletex_changes(self, kind: str, tripletex_id: int, **fields) -> dict:
        """Someone edits the object by hand in Tripletex."""
        return self.fake.change(self.company_id, kind, tripletex_id, **fields)


@pytest.fixture
def md(world, fake_tripletex, settings) -> Md:
    settings.TRIPLETEX_BASE_URL = fake_tripletex.base_url
    settings.TRIPLETEX_CONSUMER_TOKEN = fake_tripletex.consumer_token
    name = f"Toveis {uuid.uuid4().hex[:6]} AS"
    info = fake_tripletex.create_company(name, applications=["GrønnJobb"], employees=1, projects=1, customers=1)
    Connection.objects.create(tenant=world.a, state=Connection.State.ACTIVE,
                              employee_token=info["employee_tokens"]["GrønnJobb"],
                              tripletex_company_id=info["id"], tripletex_company_name=name)
    ConnectorConfig.objects.create(tenant=world.a, name="master_data", enabled=True)
    fake_tripletex.clear_calls()
    return Md(fake=fake_tripletex, tenant=world.a, company_id=info["id"], token=info["employee_tokens"]["GrønnJobb"])


def _skipped_with(md: Md, row, rule) -> None:
    record = md.last_record(row)
    assert (record.action, record.rule, record.direction) == (Action.SKIPPED, str(rule), "out")


def _linked_project(md: Md, **fields) -> tuple[Project, dict]:
    project = ProjectFactory(tenant=md.tenant, **fields)
    md.sync(project)
    return project, md.remote_one("project", number=project.number)


def _linked_customer(md: Md, **fields) -> tuple[Customer, dict]:
    customer = CustomerFactory(tenant=md.tenant, **fields)
    md.sync(customer)
    return customer, md.remote_one("customer", customerNumber=int(customer.customer_number))


def _employee(md: Md, **fields) -> Employee:
    fields.setdefault("employee_number", str(7000 + Employee.objects.count()))
    fields.setdefault("email", f"{uuid.uuid4().hex[:8]}@alfa.no")
    return EmployeeFactory(tenant=md.tenant, **fields)


# --- skip rules ---------------------------------------------------------------------------------------------

def test_project_without_start_date_is_not_synced(md):
    with scope(tenant=md.tenant):
        project = ProjectFactory(tenant=md.tenant, start_date=None)
        md.sync(project)
        _skipped_with(md, project, rules.PROJECT_NO_START_DATE)
        assert md.writes() == {}


def test_sub_project_is_not_synced(md):
    with scope(tenant=md.tenant):
        main = ProjectFactory(tenant=md.tenant)
        sub = ProjectFactory(tenant=md.tenant, parent=main, number=main.number)
        md.sync(sub)
        _skipped_with(md, sub, rules.PROJECT_SUBPROJECT)
        assert md.writes() == {}


def test_customer_whose_number_is_not_all_digits_is_not_synced(md):
    with scope(tenant=md.tenant):
        customer = CustomerFactory(tenant=md.tenant, customer_number="K-100")
        md.sync(customer)
        _skipped_with(md, customer, rules.CUSTOMER_NUMBER_NOT_DIGITS)
        assert md.writes() == {}


def test_inactive_customer_is_not_synced(md):
    with scope(tenant=md.tenant):
        customer = CustomerFactory(tenant=md.tenant, status=Customer.Status.INACTIVE)
        md.sync(customer)
        _skipped_with(md, customer, rules.CUSTOMER_INACTIVE)
        assert md.writes() == {}


def test_employee_without_last_name_is_not_synced(md):
    with scope(tenant=md.tenant):
        employee = _employee(md, last_name="")
        md.sync(employee)
        _skipped_with(md, employee, rules.EMPLOYEE_NO_LAST_NAME)
        assert md.writes() == {}


def test_inactive_employee_is_not_synced(md):
    with scope(tenant=md.tenant):
        employee = _employee(md, active=False)
        md.sync(employee)
        _skipped_with(md, employee, rules.EMPLOYEE_INACTIVE)
        assert md.writes() == {}


# --- project matrix -----------------------------------------------------------------------------------------

def test_new_project_is_created_with_the_token_employee_as_manager_and_its_linked_customer(md):
    with scope(tenant=md.tenant):
        customer, remote_customer = _linked_customer(md)
        first = ProjectFactory(tenant=md.tenant, customer=customer, end_date=dt.date(2026, 12, 31))
        second = ProjectFactory(tenant=md.tenant)
        md.fake.clear_calls()
        md.change(first)
        md.change(second)
        md.push()
        remote = md.remote_one("project", number=first.number)
        assert (remote["name"], remote["startDate"], remote["endDate"]) == (first.name, "2026-01-01", "2026-12-31")
        assert remote["customer"]["id"] == remote_customer["id"]
        admin = md.remote("employee")[0]
        assert remote["projectManager"]["id"] == admin["id"]
        assert md.remote_one("project", number=second.number)["projectManager"]["id"] == admin["id"]
        assert md.calls()["GET /token/session/>whoAmI"] == 1  # once per run, not per project
        link = md.link(first)
        assert (link.state, link.tripletex_id, link.tripletex_version) == (Link.State.LINKED, remote["id"], 0)
        assert link.synced_values == rules.local_values(PROJECT, first)
        assert md.last_record(first).action == Action.CREATED


def test_project_whose_customer_is_not_linked_is_created_without_a_customer(md):
    with scope(tenant=md.tenant):
        customer = CustomerFactory(tenant=md.tenant, customer_number="K-1")  # never synced: not all digits
        project = ProjectFactory(tenant=md.tenant, customer=customer)
        md.sync(project)
        assert "customer" not in md.remote_one("project", number=project.number)


def test_project_completed_here_is_closed_in_tripletex(md):
    with scope(tenant=md.tenant):
        project, remote = _linked_project(md)
        project.status = Project.Status.COMPLETED
        project.save()
        md.fake.clear_calls()
        md.sync(project)
        after = md.remote_one("project", number=project.number)
        assert after["isClosed"] is True and after["version"] == remote["version"] + 1
        assert md.writes() == {"PUT /project/{id}": 1}
        record = md.last_record(project)
        assert (record.action, record.rule) == (Action.UPDATED, str(rules.PROJECT_COMPLETED_HERE))
        assert md.link(project).tripletex_version == after["version"]


def test_project_deleted_here_changes_nothing_in_tripletex(md):
    with scope(tenant=md.tenant):
        project, remote = _linked_project(md)
        project.status = Project.Status.DELETED
        project.save()
        md.fake.clear_calls()
        md.sync(project, op=OutboundChange.Op.DELETE)
        assert md.remote_one("project", number=project.number) == remote
        assert md.calls() == {}
        _skipped_with(md, project, rules.PROJECT_DELETED_HERE)
        assert md.link(project).state == Link.State.LINKED


def test_project_deleted_in_tripletex_marks_the_link_gone_and_nothing_is_created_in_its_place(md):
    with scope(tenant=md.tenant):
        project, remote = _linked_project(md)
        md.fake.change(md.company_id, "project", remote["id"], delete=True)
        project.name = "Nytt navn"
        project.save()
        md.sync(project)
        assert [p for p in md.remote("project") if p["number"] == project.number] == []
        assert md.link(project).state == Link.State.GONE
        _skipped_with(md, project, rules.PROJECT_DELETED_IN_TRIPLETEX)
        project.refresh_from_db()
        assert project.status == Project.Status.COMPLETED  # seed 000: deleted in Tripletex → completed here
        md.fake.clear_calls()
        md.sync(project)
        assert md.calls() == {}


# --- customer matrix ----------------------------------------------------------------------------------------

def test_customer_another_worker_creates_between_our_lookup_and_our_create_is_linked_not_failed(md, monkeypatch):
    """Found by the fault suite: the invoice connector, needing the same new customer at the same moment,
    created it first; our create was refused for its number, and the change stopped at "failed"."""
    with scope(tenant=md.tenant):
        customer = CustomerFactory(tenant=md.tenant)
        elsewhere = []
        lookup = TripletexClient.customer_list

        def lookup_then_created_by_another_worker(self, *args, **kwargs):
            hits = lookup(self, *args, **kwargs)
            if not elsewhere:
                elsewhere.append(md.fake.change(md.company_id, "customer", name=customer.name, isCustomer=True,
                                                customerNumber=int(customer.customer_number)))
            return hits

        monkeypatch.setattr(TripletexClient, "customer_list", lookup_then_created_by_another_worker)
        md.sync(customer)
        assert md.remote_one("customer", customerNumber=int(customer.customer_number))["id"] == elsewhere[0]["id"]
        assert md.link(customer).tripletex_id == elsewhere[0]["id"]
        assert md.last_record(customer).action == Action.LINKED
        assert OutboundChange.objects.get(kind=CUSTOMER, local_id=customer.id).state == OutboundChange.State.DONE


def test_customer_set_active_here_is_set_active_in_tripletex(md):
    with scope(tenant=md.tenant):
        customer, remote = _linked_customer(md)
        # Set inactive in Tripletex, and brought here as the inbound side does.
        remote = md.tripletex_changes("customer", remote["id"], isInactive=True)
        Customer.objects.filter(id=customer.id).update(status=Customer.Status.INACTIVE)
        customer.refresh_from_db()
        link = md.link(customer)
        values = rules.remote_values(CUSTOMER, remote)
        rules.link_agree(link, values=values)
        link.tripletex_version = remote["version"]
        link.save()
        customer.status = Customer.Status.ACTIVE
        customer.save()
        md.fake.clear_calls()
        md.sync(customer)
        assert md.remote_one("customer", id=remote["id"])["isInactive"] is False
        assert md.writes() == {"PUT /customer/{id}": 1}
        record = md.last_record(customer)
        assert (record.action, record.rule) == (Action.UPDATED, str(rules.CUSTOMER_ACTIVE_HERE))


def test_customer_set_inactive_here_is_not_sent_because_only_tripletex_may_do_that(md):
    with scope(tenant=md.tenant):
        customer, remote = _linked_customer(md)
        customer.status = Customer.Status.INACTIVE
        customer.save()
        md.fake.clear_calls()
        md.sync(customer)
        assert md.remote_one("customer", id=remote["id"])["isInactive"] is False
        assert md.writes() == {}
        _skipped_with(md, customer, rules.CUSTOMER_CANNOT_SET_INACTIVE)


def test_customer_deleted_here_is_not_deleted_in_tripletex_and_the_link_is_broken(md):
    with scope(tenant=md.tenant):
        customer, remote = _linked_customer(md)
        customer.status = Customer.Status.DELETED
        customer.save()
        md.fake.clear_calls()
        md.sync(customer, op=OutboundChange.Op.DELETE, snapshot={"label": "20001 Borte AS"})
        assert md.remote_one("customer", id=remote["id"]) == remote
        assert md.calls() == {}
        assert md.link(customer).state == Link.State.BROKEN
        _skipped_with(md, customer, rules.CUSTOMER_DELETED_HERE)


def test_customer_with_a_broken_link_is_never_written_again(md):
    with scope(tenant=md.tenant):
        customer, remote = _linked_customer(md)
        Link.objects.filter(id=md.link(customer).id).update(state=Link.State.BROKEN)
        customer.name = "Nytt navn AS"
        customer.save()
        md.fake.clear_calls()
        md.sync(customer)
        assert md.calls() == {}
        assert md.remote_one("customer", id=remote["id"])["name"] == remote["name"]
        _skipped_with(md, customer, rules.CUSTOMER_LINK_BROKEN)


def test_new_customer_is_created_with_its_number_and_address_and_active(md):
    with scope(tenant=md.tenant):
        customer = CustomerFactory(tenant=md.tenant, email="Post@Kunde.no", address="Storgata 1", postal_code="0155",
                                   city="Oslo")
        md.sync(customer)
        remote = md.remote_one("customer", customerNumber=int(customer.customer_number))
        assert (remote["name"], remote["email"], remote["isInactive"]) == (customer.name, "post@kunde.no", False)
        address = md.read(f"/customer/{remote['id']}", "postalAddress(addressLine1,postalCode,city)")["postalAddress"]
        assert address == {"addressLine1": "Storgata 1", "postalCode": "0155", "city": "Oslo"}
        assert md.last_record(customer).action == Action.CREATED


def test_customer_address_changed_here_updates_the_address_tripletex_has(md):
    with scope(tenant=md.tenant):
        customer, remote = _linked_customer(md, address="Storgata 1", postal_code="0155", city="Oslo")
        before = md.read(f"/customer/{remote['id']}", "postalAddress(id)")["postalAddress"]["id"]
        customer.city = "Bergen"
        customer.postal_code = "5003"
        customer.save()
        md.sync(customer)
        after = md.read(f"/customer/{remote['id']}", "postalAddress(id,addressLine1,postalCode,city)")["postalAddress"]
        assert after == {"id": before, "addressLine1": "Storgata 1", "postalCode": "5003", "city": "Bergen"}


# --- employees ----------------------------------------------------------------------------------------------

def test_new_employee_is_created_without_tripletex_access_in_the_token_employees_department(md):
    with scope(tenant=md.tenant):
        employee = _employee(md, first_name="Kari", last_name="Nordmann", email="Kari@Alfa.no", employee_number="7100")
        md.sync(employee)
        remote = md.remote_one("employee", employeeNumber="7100")
        assert (remote["firstName"], remote["lastName"], remote["email"]) == ("Kari", "Nordmann", "kari@alfa.no")
        assert remote["userType"] == "NO_ACCESS"  # no invitation e-mail the admin did not ask for
        assert remote["department"]["id"] == md.remote("employee")[0]["department"]["id"]
        assert md.last_record(employee).action == Action.CREATED


def test_employee_without_number_gets_one_saved_here_and_sent(md):
    with scope(tenant=md.tenant):
        employee = _employee(md, employee_number="")
        md.sync(employee)
        employee.refresh_from_db()
        assert employee.employee_number == "1001"  # free here and in Tripletex, whose own employee has 1000
        assert md.remote_one("employee", email=employee.email)["employeeNumber"] == employee.employee_number
        record = md.last_record(employee)
        assert (record.action, record.rule) == (Action.CREATED, str(rules.EMPLOYEE_NUMBER_GENERATED))


def test_employee_without_number_in_tripletex_gets_one_generated_here_and_written_back(md):
    with scope(tenant=md.tenant):
        theirs = md.fake.change(md.company_id, "employee", firstName="Per", lastName="Uten", email="per@alfa.no")
        assert "employeeNumber" not in theirs
        employee = _employee(md, first_name="Per", last_name="Uten", email="per@alfa.no", employee_number="")
        md.sync(employee)
        employee.refresh_from_db()
        assert employee.employee_number
        assert md.remote_one("employee", id=theirs["id"])["employeeNumber"] == employee.employee_number
        assert md.link(employee).tripletex_id == theirs["id"]
        record = md.last_record(employee)
        assert (record.action, record.rule) == (Action.LINKED, str(rules.EMPLOYEE_NUMBER_GENERATED))


def test_employee_that_exists_in_tripletex_is_linked_by_email_and_keeps_tripletex_values(md):
    with scope(tenant=md.tenant):
        theirs = md.fake.change(md.company_id, "employee", firstName="Ola", lastName="Tripletexsen",
                                email="ola@alfa.no", employeeNumber="7200")
        employee = _employee(md, first_name="Ola", last_name="Lokalsen", email="OLA@alfa.no", employee_number="7201")
        md.fake.clear_calls()
        md.sync(employee)
        assert md.writes() == {}
        assert md.remote_one("employee", id=theirs["id"])["lastName"] == "Tripletexsen"
        employee.refresh_from_db()
        assert (employee.last_name, employee.employee_number) == ("Tripletexsen", "7200")
        assert md.link(employee).tripletex_id == theirs["id"]
        record = md.last_record(employee)
        assert (record.action, record.rule) == (Action.LINKED, str(rules.LINKED_BY_NUMBER))


def test_employee_found_in_tripletex_with_a_number_another_employee_has_here_is_not_linked(md):
    with scope(tenant=md.tenant):
        _employee(md, employee_number="7300")
        md.fake.change(md.company_id, "employee", firstName="Eva", lastName="Dobbel", email="eva@alfa.no",
                       employeeNumber="7300")
        employee = _employee(md, first_name="Eva", last_name="Dobbel", email="eva@alfa.no", employee_number="7301")
        md.sync(employee)
        record = md.last_record(employee)
        assert record.action == Action.FAILED and "7300" in record.message
        assert not Link.objects.filter(kind=EMPLOYEE, local_id=employee.id).exists()
        employee.refresh_from_db()
        assert employee.employee_number == "7301"


def test_employee_deleted_in_tripletex_is_not_created_again(md):
    with scope(tenant=md.tenant):
        employee = _employee(md)
        md.sync(employee)
        remote = md.remote_one("employee", employeeNumber=employee.employee_number)
        md.fake.change(md.company_id, "employee", remote["id"], delete=True)
        employee.first_name = "Ny"
        employee.save()
        md.sync(employee)
        assert [e for e in md.remote("employee") if e.get("employeeNumber") == employee.employee_number] == []
        assert md.link(employee).state == Link.State.GONE
        _skipped_with(md, employee, rules.EMPLOYEE_DELETED_IN_TRIPLETEX)


def test_employee_number_made_here_is_sent_though_tripletex_changed_since_the_wizard_linked_it(md):
    with scope(tenant=md.tenant):
        theirs = md.fake.change(md.company_id, "employee", firstName="Siv", lastName="Veiviser", email="siv@alfa.no")
        employee = _employee(md, first_name="Siv", last_name="Veiviser", email="siv@alfa.no", employee_number="")
        Link.objects.create(tenant=md.tenant, kind=EMPLOYEE, local_id=employee.id, tripletex_company_id=md.company_id,
                            tripletex_id=theirs["id"], tripletex_version=theirs["version"])
        md.tripletex_changes("employee", theirs["id"], phoneNumberMobile="91234567")
        md.sync(employee)
        employee.refresh_from_db()
        assert employee.employee_number
        assert md.remote_one("employee", id=theirs["id"])["employeeNumber"] == employee.employee_number
        record = md.last_record(employee)
        assert (record.action, record.rule) == (Action.UPDATED, str(rules.EMPLOYEE_NUMBER_GENERATED))


def test_employee_changed_here_sends_only_the_changed_name(md):
    with scope(tenant=md.tenant):
        employee = _employee(md)
        md.sync(employee)
        employee.first_name = "Nytt"
        employee.save()
        md.fake.clear_calls()
        md.sync(employee)
        remote = md.remote_one("employee", employeeNumber=employee.employee_number)
        assert remote["firstName"] == "Nytt"
        assert md.writes() == {"PUT /employee/{id}": 1}


# --- not linked: linked by number instead of created ----------------------------------------------------------

def test_project_that_exists_in_tripletex_is_linked_by_number_and_keeps_tripletex_values(md):
    with scope(tenant=md.tenant):
        theirs = md.remote("project")[0]
        project = ProjectFactory(tenant=md.tenant, number=theirs["number"], name="Vårt navn")
        md.fake.clear_calls()
        md.sync(project)
        assert md.writes() == {}
        assert len([p for p in md.remote("project") if p["number"] == theirs["number"]]) == 1
        project.refresh_from_db()
        assert (project.name, project.start_date.isoformat()) == (theirs["name"], theirs["startDate"])
        link = md.link(project)
        assert (link.tripletex_id, link.tripletex_version) == (theirs["id"], theirs["version"])
        record = md.last_record(project)
        assert (record.action, record.rule) == (Action.LINKED, str(rules.LINKED_BY_NUMBER))


def test_customer_that_exists_in_tripletex_is_linked_by_number_and_keeps_tripletex_values(md):
    with scope(tenant=md.tenant):
        theirs = md.remote("customer")[0]
        customer = CustomerFactory(tenant=md.tenant, customer_number=str(theirs["customerNumber"]), name="Vårt AS")
        md.sync(customer)
        assert md.writes() == {}
        customer.refresh_from_db()
        assert (customer.name, customer.org_number) == (theirs["name"], theirs["organizationNumber"])
        assert md.link(customer).tripletex_id == theirs["id"]


def test_a_tripletex_object_already_linked_to_another_row_is_not_linked_twice(md):
    with scope(tenant=md.tenant):
        project, remote = _linked_project(md)
        twin = ProjectFactory(tenant=md.tenant, number=project.number)
        md.sync(twin)
        _skipped_with(md, twin, rules.ALREADY_LINKED)
        assert not Link.objects.filter(kind=PROJECT, local_id=twin.id).exists()


def test_lost_create_answer_is_found_by_number_next_time_and_not_sent_again(md):
    with scope(tenant=md.tenant):
        project = ProjectFactory(tenant=md.tenant)
        md.fake.set_faults(company_id=md.company_id, path_prefix="/project", drop_after_commit=1)
        md.sync(project)
        change = OutboundChange.objects.get(tenant=md.tenant, local_id=project.id)
        assert change.state == OutboundChange.State.PENDING and change.attempts == 1  # in doubt: tried again later
        assert md.last_record(project).action == Action.FAILED
        OutboundChange.objects.filter(id=change.id).update(next_attempt_at=timezone.now())
        md.push()
        assert len([p for p in md.remote("project") if p["number"] == project.number]) == 1
        assert md.calls()["POST /project"] == 1
        assert md.link(project).tripletex_id == md.remote_one("project", number=project.number)["id"]
        assert OutboundChange.objects.get(id=change.id).state == OutboundChange.State.DONE


# --- linked: what changed where ---------------------------------------------------------------------------------

def test_unchanged_row_sends_nothing(md):
    with scope(tenant=md.tenant):
        project, _ = _linked_project(md)
        md.fake.clear_calls()
        md.sync(project)
        assert md.calls() == {}
        assert md.last_record(project).action == Action.UNCHANGED


def test_changes_on_each_side_to_different_fields_are_merged(md):
    with scope(tenant=md.tenant):
        project, remote = _linked_project(md)
        md.tripletex_changes("project", remote["id"], startDate="2026-02-01")
        project.name = "Navn endret her"
        project.save()
        md.sync(project)
        after = md.remote_one("project", id=remote["id"])
        assert (after["name"], after["startDate"]) == ("Navn endret her", "2026-02-01")
        project.refresh_from_db()
        assert (project.name, project.start_date) == ("Navn endret her", dt.date(2026, 2, 1))
        assert md.link(project).synced_values == rules.remote_values(PROJECT, after)
        assert md.last_record(project).rule == ""


def test_a_change_here_still_goes_after_a_tripletex_change_was_taken_in_before_the_push(md):
    with scope(tenant=md.tenant):
        project, remote = _linked_project(md)
        project.name = "Navn endret her"
        project.save()
        md.change(project)
        # Before the worker sends it, a webhook brings Tripletex's new start date here, as the inbound side does.
        remote = md.tripletex_changes("project", remote["id"], startDate="2026-03-01")
        project.start_date = dt.date(2026, 3, 1)
        project.save()
        link = md.link(project)
        rules.link_agree(link, values=rules.remote_values(PROJECT, remote), local=rules.local_values(PROJECT, project),
                         remote=rules.remote_values(PROJECT, remote))
        link.tripletex_version = remote["version"]
        link.save()
        md.push()
        after = md.remote_one("project", id=remote["id"])
        assert (after["name"], after["startDate"]) == ("Navn endret her", "2026-03-01")


def test_field_changed_on_both_sides_keeps_tripletex_value(md):
    with scope(tenant=md.tenant):
        project, remote = _linked_project(md)
        md.tripletex_changes("project", remote["id"], name="Navn fra regnskapet")
        project.name = "Navn endret her"
        project.save()
        md.fake.clear_calls()
        md.sync(project)
        assert md.remote_one("project", id=remote["id"])["name"] == "Navn fra regnskapet"
        assert md.writes() == {}
        project.refresh_from_db()
        assert project.name == "Navn fra regnskapet"
        record = md.last_record(project)
        assert (record.action, record.rule) == (Action.UPDATED, str(rules.BOTH_CHANGED_TRIPLETEX_WINS))


def test_wizard_link_unchanged_in_tripletex_sends_what_changed_here(md):
    with scope(tenant=md.tenant):
        theirs = md.remote("project")[0]
        project = ProjectFactory(tenant=md.tenant, number=theirs["number"], name=theirs["name"],
                                 start_date=dt.date.fromisoformat(theirs["startDate"]))
        Link.objects.create(tenant=md.tenant, kind=PROJECT, local_id=project.id, tripletex_company_id=md.company_id,
                            tripletex_id=theirs["id"], tripletex_version=theirs["version"])
        project.name = "Omdøpt her"
        project.save()
        md.sync(project)
        assert md.remote_one("project", id=theirs["id"])["name"] == "Omdøpt her"


def test_a_put_whose_answer_was_lost_is_read_again_and_not_sent_twice(md):
    with scope(tenant=md.tenant):
        project, remote = _linked_project(md)
        project.name = "Nytt navn"
        project.save()
        md.fake.set_faults(company_id=md.company_id, path_prefix=f"/project/{remote['id']}", drop_after_commit=1)
        md.fake.clear_calls()
        md.sync(project)
        after = md.remote_one("project", id=remote["id"])
        assert (after["name"], after["version"]) == ("Nytt navn", remote["version"] + 1)
        # The resent PUT met its own write (409), so the object was read again and found in step.
        assert md.calls()["GET /project/{id}"] == 2
        link = md.link(project)
        assert link.tripletex_version == after["version"]
        assert link.synced_values["name"] == "Nytt navn"
        assert OutboundChange.objects.filter(local_id=project.id).latest("id").state == OutboundChange.State.DONE


def test_two_quick_edits_are_sent_in_one_put(md):
    with scope(tenant=md.tenant):
        project, _ = _linked_project(md)
        project.name = "Første"
        project.save()
        md.change(project)
        project.end_date = dt.date(2026, 6, 30)
        project.save()
        md.change(project)
        md.fake.clear_calls()
        md.push()
        assert md.writes() == {"PUT /project/{id}": 1}
        after = md.remote_one("project", number=project.number)
        assert (after["name"], after["endDate"]) == ("Første", "2026-06-30")


def test_the_same_change_processed_twice_makes_one_object_in_tripletex(md):
    with scope(tenant=md.tenant):
        project = ProjectFactory(tenant=md.tenant)
        change = md.change(project)
        md.push()
        # A worker that died before it marked the change done: it is handled again.
        OutboundChange.objects.filter(id=change.id).update(state=OutboundChange.State.PENDING)
        md.push()
        # And one that died before it saved the link.
        Link.objects.filter(kind=PROJECT, local_id=project.id).delete()
        OutboundChange.objects.filter(id=change.id).update(state=OutboundChange.State.PENDING)
        md.push()
        assert len([p for p in md.remote("project") if p["number"] == project.number]) == 1
        assert md.calls()["POST /project"] == 1


def test_a_link_to_another_tripletex_company_is_not_used(md):
    with scope(tenant=md.tenant):
        project = ProjectFactory(tenant=md.tenant)
        Link.objects.create(tenant=md.tenant, kind=PROJECT, local_id=project.id,
                            tripletex_company_id=md.company_id + 999, tripletex_id=123456)
        md.sync(project)
        assert md.link(project).tripletex_id == md.remote_one("project", number=project.number)["id"]
        assert Link.objects.get(tripletex_company_id=md.company_id + 999).tripletex_id == 123456


# --- failures and the connection ---------------------------------------------------------------------------------

def test_tripletex_refusal_is_logged_once_with_its_message_and_request_id(md):
    with scope(tenant=md.tenant):
        project = ProjectFactory(tenant=md.tenant, start_date=dt.date(2026, 5, 1), end_date=dt.date(2026, 4, 1))
        md.sync(project)
        [record] = md.records(project)
        assert record.action == Action.FAILED and record.direction == "out"
        assert "Sluttdato kan ikke være før startdato" in record.message and record.request_id
        assert record.label == f"{project.number} {project.name}"
        change = OutboundChange.objects.get(local_id=project.id)
        assert change.state == OutboundChange.State.FAILED and change.request_id == record.request_id
        assert SyncRun.objects.get(id=record.run_id).status == SyncRun.Status.PARTIAL
        assert not Link.objects.filter(kind=PROJECT, local_id=project.id).exists()


def test_nothing_more_is_sent_once_the_connection_is_removed_half_way(md, world):
    with scope(tenant=md.tenant):
        first, second = ProjectFactory(tenant=md.tenant), ProjectFactory(tenant=md.tenant)
        md.change(first)
        md.change(second)

        def admin_removes_the_integration(sender, instance, created, **kwargs):
            if created:
                with scope(tenant=md.tenant):
                    connection_remove(tenant=md.tenant, by=world.alice)

        post_save.connect(admin_removes_the_integration, sender=Link, dispatch_uid="remove-half-way")
        try:
            md.push()
        finally:
            post_save.disconnect(sender=Link, dispatch_uid="remove-half-way")
        assert [p["number"] for p in md.remote("project") if p["number"] in (first.number, second.number)] == [
            first.number]
        assert OutboundChange.objects.get(local_id=second.id).state == OutboundChange.State.PENDING


def test_changes_queued_before_the_integration_is_removed_are_not_sent(md, world):
    with scope(tenant=md.tenant):
        project = ProjectFactory(tenant=md.tenant)
        change = md.change(project)
        with scope(tenant=md.tenant):
            connection_remove(tenant=md.tenant, by=world.alice)
        md.push()
        assert md.calls() == {}
        assert OutboundChange.objects.get(id=change.id).state == OutboundChange.State.PENDING
