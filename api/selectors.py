"""Reads for the API-nøkler page."""
from django.db.models import QuerySet

from tenants.models import Tenant

from .models import TenantAPIKey


def api_keys_for(*, tenant: Tenant) -> QuerySet[TenantAPIKey]:
    """The company's keys, usable ones first, newest first."""
    return TenantAPIKey.objects.filter(tenant=tenant).select_related("created_by").order_by("revoked", "-created")
