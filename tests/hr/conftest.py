import pytest
from django_scopes import scope

from integrations.models import Connection, ConnectorConfig, OutboundChange


@pytest.fixture
def two_way(world):
    """Company A with an active Tripletex connection and the two-way connector switched on."""
    Connection.objects.create(tenant=world.a, state=Connection.State.ACTIVE, tripletex_company_id=1)
    return ConnectorConfig.objects.create(tenant=world.a, name="master_data", enabled=True)


def pending(tenant) -> list[tuple[str, int, str]]:
    """A's waiting changes for Tripletex as (kind, local id, op)."""
    with scope(tenant=tenant):
        return list(
            OutboundChange.objects.filter(state=OutboundChange.State.PENDING)
            .order_by("id").values_list("kind", "local_id", "op")
        )
