"""The security suite's people and data: every role in both companies, and hypothesis kept fast.

alice, bob and carol come from the base `world`; here A also gets a manager (dave) and B a manager (erik)
and an employee (frida), so every role can be asked for every page of both companies.
"""
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings

from integrations.models import RemoteChange
from tenants.models import Membership, Tenant, User
from tests.factories import MembershipFactory, UserFactory
from tests.test_isolation import a_objects  # noqa: F401 - A's rows of every kind the URLs name

# Each example is a request against the real database: a bounded count keeps the suite quick, and no
# example database is written into the work tree. Requests share the test's transaction, which is what
# the function-scoped fixtures' health check warns about; that is intended here.
settings.register_profile(
    "security", max_examples=40, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("security")


@dataclass
class Person:
    user: User
    tenant: Tenant
    role: str


@pytest.fixture
def people(world) -> dict[str, Person]:
    dave = UserFactory(email="dave@alfa.no", first_name="Dave")
    erik = UserFactory(email="erik@beta.no", first_name="Erik")
    frida = UserFactory(email="frida@beta.no", first_name="Frida")
    MembershipFactory(user=dave, tenant=world.a, role=Membership.Role.MANAGER)
    MembershipFactory(user=erik, tenant=world.b, role=Membership.Role.MANAGER)
    MembershipFactory(user=frida, tenant=world.b, role=Membership.Role.EMPLOYEE)
    return {
        "alice": Person(world.alice, world.a, "admin"), "dave": Person(dave, world.a, "manager"),
        "carol": Person(world.carol, world.a, "employee"), "bob": Person(world.bob, world.b, "admin"),
        "erik": Person(erik, world.b, "manager"), "frida": Person(frida, world.b, "employee"),
    }


@pytest.fixture
def a_rows(a_objects):  # noqa: F811
    """A's rows of every kind the URLs name (the isolation test's), its remote change with the fields Tripletex
    sends, so accepting it works as it would in use."""
    RemoteChange.objects.filter(id=a_objects["remote_change"].id).update(data={
        "number": "T-1", "name": "Alfahemmelig fra Tripletex", "start_date": "2026-01-01", "end_date": None,
        "is_internal": False,
    })
    return a_objects
