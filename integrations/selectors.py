"""Reads about a company's Tripletex connection."""
from tenants.models import Tenant

from .models import Connection


def connection_for(*, tenant: Tenant) -> Connection | None:
    return Connection.objects.filter(tenant=tenant).first()


def connection_status(*, tenant: Tenant) -> dict:
    """What the "Generelt" tab shows about Tripletex."""
    connection = connection_for(tenant=tenant)
    return {"connection": connection, "active": bool(connection and connection.is_active)}
