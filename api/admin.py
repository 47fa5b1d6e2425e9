from django.contrib import admin
from rest_framework_api_key.models import APIKey

from tenants.admin import TenantScopedAdmin

from .models import IdempotencyKey, TenantAPIKey

# The library's own key model is not used: every key here belongs to a company (TenantAPIKey).
admin.site.unregister(APIKey)


@admin.register(TenantAPIKey)
class TenantAPIKeyAdmin(TenantScopedAdmin):
    """Read and revoke only: a key is made on the API-nøkler page or with `create_api_key`, shown once."""

    list_display = ("name", "prefix", "scope", "created", "last_used_at", "revoked")
    fields = ("name", "prefix", "scope", "created", "created_by", "last_used_at", "revoked", "revoked_at")
    readonly_fields = ("name", "prefix", "scope", "created", "created_by", "last_used_at", "revoked_at")

    def has_add_permission(self, request):
        return False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(TenantScopedAdmin):
    list_display = ("key", "api_key", "status_code", "created_at", "expires_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
