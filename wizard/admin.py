from django.contrib import admin

from tenants.admin import TenantScopedAdmin

from .models import Draft, Fetch, Item


@admin.register(Draft)
class DraftAdmin(TenantScopedAdmin):
    list_display = ("tripletex_company_name", "started_by", "created_at")
    # The pasted token is never shown; the draft changes only through the wizard.
    exclude = ("tenant", "employee_token")
    readonly_fields = ("started_by", "tripletex_company_id", "tripletex_company_name", "tripletex_employee_name")


@admin.register(Fetch)
class FetchAdmin(TenantScopedAdmin):
    list_display = ("kind", "status", "fetched", "total", "finished_at")


@admin.register(Item)
class ItemAdmin(TenantScopedAdmin):
    list_display = ("kind", "number", "name", "action", "skip_reason", "selected")
    list_filter = ("kind", "action", "selected")
    search_fields = ("search",)
