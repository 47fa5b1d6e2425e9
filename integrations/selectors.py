"""Reads about a company's Tripletex connection."""
import dataclasses

from tenants.models import Tenant

from .models import Connection
from .ratebudget import budget_for_connection


def connection_for(*, tenant: Tenant) -> Connection | None:
    return Connection.objects.filter(tenant=tenant).first()


def rate_budget_status(*, tenant: Tenant) -> dict | None:
    """The company's share of Tripletex's rate limit: calls in the last hour (by every worker and every
    company here on the same Tripletex company), the limit, what is left of it and when it resets.
    None without an active connection."""
    connection = connection_for(tenant=tenant)
    if connection is None or not connection.is_active:
        return None
    return dataclasses.asdict(budget_for_connection(connection).status())
