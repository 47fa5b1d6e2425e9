"""A company connected to its own company in the fake Tripletex, with linked employees, projects and wage types.

The worker tests need a database another process can open: SQLite's default test database lives in
memory, so when this folder is collected the test database is moved to a file (see pytest_configure).
"""
import datetime as dt
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django_scopes import scope

from hr.models import TimeEntry
from hr.services import time_entries_approve, time_entries_reject
from integrations.clients import close_pooled_clients
from integrations.hours import push
from integrations.models import Connection, Link
from tests.factories import ActivityFactory, EmployeeFactory, ProjectFactory, TimeEntryFactory, WageTypeFactory


def pytest_configure(config):
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3" and not db.get("TEST", {}).get("NAME"):
        folder = tempfile.mkdtemp(prefix="grjobb-test-db-")
        db.setdefault("TEST", {})["NAME"] = os.path.join(folder, "test.sqlite3")


@dataclass
class Tx:
    """Our side and the fake's side of one connected company."""

    fake: object
    tenant: object
    company_id: int
    token: str
    employees: list = field(default_factory=list)      # (ours, tripletex id)
    projects: list = field(default_factory=list)
    activities: list = field(default_factory=list)
    wage_types: list = field(default_factory=list)

    def entry(self, *, emp=0, proj=0, act=0, day=0, hours="7.50", wage=None, status=TimeEntry.Status.SUBMITTED,
              comment=""):
        return TimeEntryFactory(
            tenant=self.tenant, employee=self.employees[emp][0], project=self.projects[proj][0],
            activity=self.activities[act][0], date=dt.date(2026, 11, 2) + dt.timedelta(days=day),
            hours=Decimal(hours), wage_type=self.wage_types[wage][0] if wage is not None else None,
            status=status, comment=comment,
        )

    def type_by_hand(self, *, emp=0, proj=0, act=0, day=0, hours=5.0, comment="") -> dict:
        """An entry a Tripletex user types in Tripletex itself, on the key our entry `tx.entry(...)` would use."""
        return self.fake.change(
            self.company_id, "timesheet_entry", employee={"id": self.employees[emp][1]},
            project={"id": self.projects[proj][1]}, activity={"id": self.activities[act][1]},
            date=(dt.date(2026, 11, 2) + dt.timedelta(days=day)).isoformat(), hours=hours, comment=comment,
        )

    def edit_by_hand(self, remote_id: int, **fields) -> dict:
        return self.fake.change(self.company_id, "timesheet_entry", remote_id, **fields)

    def remote_entries(self) -> list[dict]:
        return self.fake.objects(self.company_id, "timesheet_entry")

    def remote_specs(self) -> list[dict]:
        return self.fake.objects(self.company_id, "salary_type_spec")

    def remote_by_key(self) -> dict:
        out = {}
        for e in self.remote_entries():
            key = (e["employee"]["id"], e["date"], e["project"]["id"], e["activity"]["id"])
            assert key not in out, f"two Tripletex entries on one key {key}"
            out[key] = Decimal(str(e["hours"]))
        return out

    def expected_by_key(self) -> dict:
        """What Tripletex must hold: every approved entry, summed per Tripletex key."""
        emp = {e.id: t for e, t in self.employees}
        proj = {p.id: t for p, t in self.projects}
        act = {a.id: t for a, t in self.activities}
        out: dict = {}
        with scope(tenant=self.tenant):
            approved = list(TimeEntry.objects.filter(status=TimeEntry.Status.APPROVED))
        for e in approved:
            key = (emp[e.employee_id], e.date.isoformat(), proj[e.project_id], act[e.activity_id])
            out[key] = out.get(key, Decimal(0)) + e.hours
        return out


def make_tx(fake, tenant, *, employees=3, projects=2, activities=2, wage_types=2, link_activities=True) -> Tx:
    name = f"Timer {uuid.uuid4().hex[:6]} AS"
    info = fake.create_company(name, applications=["GrønnJobb"], employees=employees, projects=projects,
                               activities=max(activities, 4), wage_types=max(wage_types, 4))
    cid = info["id"]
    token = info["employee_tokens"]["GrønnJobb"]
    tx = Tx(fake=fake, tenant=tenant, company_id=cid, token=token)
    Connection.objects.create(tenant=tenant, state=Connection.State.ACTIVE, employee_token=token,
                              tripletex_company_id=cid, tripletex_company_name=name)
    for remote in fake.objects(cid, "employee")[:employees]:
        ours = EmployeeFactory(tenant=tenant, first_name=remote["firstName"], last_name=remote.get("lastName", "X"))
        Link.objects.create(tenant=tenant, kind=Link.Kind.EMPLOYEE, local_id=ours.id, tripletex_company_id=cid,
                            tripletex_id=remote["id"])
        tx.employees.append((ours, remote["id"]))
    for remote in fake.objects(cid, "project")[:projects]:
        ours = ProjectFactory(tenant=tenant, number=f"T{remote['number']}", name=remote["name"])
        Link.objects.create(tenant=tenant, kind=Link.Kind.PROJECT, local_id=ours.id, tripletex_company_id=cid,
                            tripletex_id=remote["id"])
        tx.projects.append((ours, remote["id"]))
    remote_acts = [a for a in fake.objects(cid, "activity") if a["activityType"] == "PROJECT_GENERAL_ACTIVITY"]
    for remote in remote_acts[:activities]:
        ours = ActivityFactory(tenant=tenant, number=f"L{remote['number']}", name=f"Lokal {remote['name']}")
        if link_activities:
            Link.objects.create(tenant=tenant, kind=Link.Kind.ACTIVITY, local_id=ours.id, tripletex_company_id=cid,
                                tripletex_id=remote["id"])
        tx.activities.append((ours, remote["id"]))
    remote_wages = [w for w in fake.objects(cid, "salary_type") if w.get("showInTimesheet") and not w.get("isInactive")]
    for remote in remote_wages[:wage_types]:
        ours = WageTypeFactory(tenant=tenant, number=f"W{remote['number']}", name=remote["name"])
        Link.objects.create(tenant=tenant, kind=Link.Kind.WAGE_TYPE, local_id=ours.id, tripletex_company_id=cid,
                            tripletex_id=remote["id"])
        tx.wage_types.append((ours, remote["id"]))
    return tx


@pytest.fixture
def tripletex_settings(settings, fake_tripletex):
    settings.TRIPLETEX_BASE_URL = fake_tripletex.base_url
    settings.TRIPLETEX_CONSUMER_TOKEN = fake_tripletex.consumer_token
    close_pooled_clients()
    yield settings
    close_pooled_clients()


@pytest.fixture
def tx(world, fake_tripletex, tripletex_settings) -> Tx:
    return make_tx(fake_tripletex, world.a)


def approve(tx: Tx, entries, user=None) -> int:
    ids = [e.id for e in entries]
    with scope(tenant=tx.tenant):
        return time_entries_approve(tenant=tx.tenant, entries=TimeEntry.objects.filter(id__in=ids),
                                    by=user)


def reject(tx: Tx, entries, user=None) -> int:
    ids = [e.id for e in entries]
    with scope(tenant=tx.tenant):
        return time_entries_reject(tenant=tx.tenant, entries=TimeEntry.objects.filter(id__in=ids), by=user)


def push_all(tenant, *, rounds: int = 50) -> None:
    """Run the push in this process as the task would, until nothing due is left."""
    with scope(tenant=tenant):
        for _ in range(rounds):
            outcome = push.hours_push_pending(tenant=tenant)
            if not outcome.more and not outcome.batches:
                return


@pytest.fixture
def workers(transactional_db, tripletex_settings, tmp_path, settings):
    """Start real workers with `workers.start()`; all are stopped before the test database is flushed."""
    from .workers import Workers

    settings.HOURS_CLAIM_TIMEOUT = 3
    settings.HOURS_RETRY_BACKOFF = 0.3
    settings.HOURS_RATE_LIMIT_WAIT = 0.5
    w = Workers(tmp_path, {"HOURS_CLAIM_TIMEOUT": "3", "HOURS_RETRY_BACKOFF": "0.3", "HOURS_RATE_LIMIT_WAIT": "0.5"})
    settings.HOURS_QUEUE = w.queue
    try:
        yield w
    finally:
        w.stop_all()
