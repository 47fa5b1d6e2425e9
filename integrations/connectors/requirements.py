"""Before a connector is switched on: does the company's Tripletex have what it needs?

A connector that sends to a part of Tripletex the company's subscription or its key's user lacks would
only fail record by record. Its `requirements` check reads (never writes) once, at the admin's click, and
the reasons it finds keep it switched off, so nothing is sent until they are fixed.
"""
from __future__ import annotations

from django.utils import timezone

from tenants.models import Tenant

from ..clients import pooled_client_for_connection
from ..models import Connection
from .base import Connector


def connector_requirements_missing(*, tenant: Tenant, connector: Connector) -> list[str]:
    """The reasons `connector` cannot work with the company's Tripletex; empty when it can (or needs nothing)."""
    if connector.requirements is None:
        return []
    connection = Connection.objects.filter(tenant=tenant).first()
    if connection is None or not connection.is_active:
        return []  # the pages and the command refuse a switch without a connection before they get here
    return connector.requirements(pooled_client_for_connection(connection), timezone.localdate())
