"""The test base: two companies and three people, as in every multi-tenant test here.

alice is admin of A, bob is admin of B, carol is an employee of A.
"""
import inspect
import os
import tempfile
from dataclasses import dataclass

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from tenants.models import Membership, Tenant, User

from .factories import (
    ActivityFactory, CustomerFactory, EmployeeFactory, MembershipFactory, ProjectFactory, TenantFactory,
    TimeEntryFactory, UserFactory, WageTypeFactory,
)

pytest_plugins = ["tests.fixtures.fake_tripletex"]

PASSWORD = "pw-12345678"


def pytest_configure(config):
    """SQLite's default test database lives in memory, where two threads writing at once fail with "database
    table is locked" instead of waiting; tests of work done in parallel need it in a file, as it is in the
    embedded run."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3" and not db.get("TEST", {}).get("NAME"):
        folder = tempfile.mkdtemp(prefix="grjobb-test-db-")
        db.setdefault("TEST", {})["NAME"] = os.path.join(folder, "test.sqlite3")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Invoice PDFs a test makes go to its own folder, not the checkout's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _no_client_outlives_its_test():
    """Pooled Tripletex clients hold sessions of a company made for one test; never let the next test reuse one."""
    yield
    from integrations.clients import close_pooled_clients

    close_pooled_clients()


@pytest.fixture(autouse=True, scope="session")
def _tasks_and_requests_start_without_their_callers_scope():
    """A worker starts every task, and a server every request, with no company scope. In a test both run in
    the caller's thread (a task eagerly or called directly, a request through the test client) and would
    inherit a scoped body's company, hiding one that forgot to set its own; here they start bare."""
    from celery.app.task import Task
    from django.test.client import ClientHandler
    from django_scopes.state import state

    def bare(call):
        def run_bare(*args, **kwargs):
            token = state.set(None)
            try:
                return call(*args, **kwargs)
            finally:
                state.reset(token)
        return run_bare

    originals = {Task: Task.__call__, ClientHandler: ClientHandler.__call__}
    for cls, call in originals.items():
        cls.__call__ = bare(call)
    yield
    for cls, call in originals.items():
        cls.__call__ = call


# Test bodies run with tenant scoping on, as requests and tasks do, so a service that forgets its tenant fails
# in its test: fixtures build several companies' rows unscoped (below), a body that calls a service directly
# enters its company's scope as a task would, and a body that reads across companies says so with
# `scopes_disabled()`.
@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    """A fixture builds its rows with scoping off (as pretix does). Not a yield fixture: the scope it is in when
    it yields would be undone here, under the test body; one that builds rows turns scoping off itself."""
    if inspect.isgeneratorfunction(fixturedef.func):
        return (yield)
    with scopes_disabled():
        return (yield)


@dataclass
class World:
    a: Tenant
    b: Tenant
    alice: User
    bob: User
    carol: User

    def client_for(self, user: User, tenant: Tenant | None = None) -> Client:
        client = Client()
        client.force_login(user)
        if tenant is not None:
            session = client.session
            session["tenant_id"] = tenant.id
            session.save()
        return client


@pytest.fixture
def world(db) -> World:
    a = TenantFactory(name="Alfa AS")
    b = TenantFactory(name="Beta AS")
    alice = UserFactory(email="alice@alfa.no", first_name="Alice")
    bob = UserFactory(email="bob@beta.no", first_name="Bob")
    carol = UserFactory(email="carol@alfa.no", first_name="Carol")
    MembershipFactory(user=alice, tenant=a, role=Membership.Role.ADMIN)
    MembershipFactory(user=bob, tenant=b, role=Membership.Role.ADMIN)
    MembershipFactory(user=carol, tenant=a, role=Membership.Role.EMPLOYEE)
    return World(a=a, b=b, alice=alice, bob=bob, carol=carol)


@pytest.fixture
def hr_a(world):
    """Company A's HR data, with names no other company uses, so a leak is visible in any page."""
    t = world.a
    carol_emp = EmployeeFactory(tenant=t, first_name="Carol", last_name="Alfaansatt", user=world.carol)
    project = ProjectFactory(tenant=t, name="Alfahemmelig prosjekt")
    activity = ActivityFactory(tenant=t, name="Alfaaktivitet")
    wage_type = WageTypeFactory(tenant=t, name="Alfalønnsart")
    entry = TimeEntryFactory(tenant=t, employee=carol_emp, project=project, activity=activity)
    customer = CustomerFactory(tenant=t, name="Alfakunde AS")
    return {
        "employee": carol_emp, "project": project, "activity": activity, "wage_type": wage_type, "entry": entry,
        "customer": customer,
    }
