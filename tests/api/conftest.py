import sys

import pytest
from rest_framework.test import APIClient

from api.services import api_key_create


def api_client(key: str, **headers) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}", **headers)
    return client


@pytest.fixture
def key_a(world) -> str:
    """A read-write key of company A, made by alice."""
    return api_key_create(tenant=world.a, name="Lønnssystemet", by=world.alice)[1]


@pytest.fixture
def key_b(world) -> str:
    return api_key_create(tenant=world.b, name="Betasystemet", by=world.bob)[1]


@pytest.fixture
def api_a(key_a) -> APIClient:
    return api_client(key_a)


@pytest.fixture
def api_b(key_b) -> APIClient:
    return api_client(key_b)


@pytest.fixture
def two_way(world):
    """Company A connected to Tripletex, with the two-way connector for projects, customers and employees on."""
    from integrations.models import Connection, ConnectorConfig

    Connection.objects.create(tenant=world.a, state=Connection.State.ACTIVE, tripletex_company_id=1,
                              tripletex_company_name="Alfa i Tripletex", employee_token="alfa-token")
    return ConnectorConfig.objects.create(tenant=world.a, name="master_data", enabled=True)


def pytest_terminal_summary(terminalreporter):
    """One line in the suite's output: how much schemathesis tried, when it ran."""
    fuzz = sys.modules.get("tests.api.test_schemathesis")
    if fuzz is not None and (fuzz.CALLS["requests"] or fuzz.CALLS["steps"]):
        terminalreporter.write_line(
            f"schemathesis: {fuzz.CALLS['requests']} examples over {len(fuzz.CALLS['operations'])} operations, "
            f"{fuzz.CALLS['steps']} calls in stateful sequences (at most {fuzz.EXAMPLES} generated examples per "
            "operation and phase)"
        )
