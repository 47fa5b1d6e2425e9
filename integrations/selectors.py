"""Reads about a company's Tripletex connection."""
from tenants.models import Tenant

from .models import Connection


def connection_for(*, tenant: Tenant) -> Connection | None:
    return Connection.objects.filter(tenant=tenant).first()

