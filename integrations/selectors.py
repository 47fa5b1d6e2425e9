"""Reads about a company's Tripletex connection."""
from tenants.models import Tenant

from .models import Connection, RemoteChange

# Changes listed on the Tripletex card; the count says how many more wait.
REMOTE_CHANGES_SHOWN = 50


def connection_for(*, tenant: Tenant) -> Connection | None:
    return Connection.objects.filter(tenant=tenant).first()


def remote_changes_pending(*, tenant: Tenant) -> dict:
    """"Endret i Tripletex" on the Tripletex card: how many changes wait, and the first ones with what
    accepting each would do."""
    from .connectors.remote_changes import outcome

    connection = connection_for(tenant=tenant)
    if connection is None or not connection.is_active:
        return {"count": 0, "changes": []}
    pending = RemoteChange.objects.filter(
        tenant=tenant, tripletex_company_id=connection.tripletex_company_id, state=RemoteChange.State.PENDING,
    ).order_by("kind", "label", "id")
    shown = list(pending[:REMOTE_CHANGES_SHOWN])
    count = len(shown) if len(shown) < REMOTE_CHANGES_SHOWN else pending.count()
    return {"count": count, "changes": [{"change": c, "outcome": outcome(c)} for c in shown]}
