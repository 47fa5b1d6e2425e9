from django.contrib import admin

from tenants.admin import TenantScopedAdmin

from .models import Connection, ConnectionEvent, HourSlot, HourTransfer, Link, SyncRecord, SyncRun


@admin.register(Connection)
class ConnectionAdmin(TenantScopedAdmin):
    list_display = ("state", "tripletex_company_name", "connected_at", "last_refreshed_at")
    # The token is never shown, not even to a superuser; it changes only through the wizard.
    exclude = ("tenant", "employee_token")
    readonly_fields = ("state", "tripletex_company_id", "tripletex_company_name", "connected_at", "last_refreshed_at")


@admin.register(Link)
class LinkAdmin(TenantScopedAdmin):
    list_display = ("kind", "local_id", "tripletex_id", "tripletex_company_id", "missing_since")
    list_filter = ("kind",)


@admin.register(SyncRun)
class SyncRunAdmin(TenantScopedAdmin):
    list_display = ("kind", "status", "created_at", "finished_at")
    list_filter = ("kind", "status")


@admin.register(SyncRecord)
class SyncRecordAdmin(TenantScopedAdmin):
    list_display = ("run", "object_kind", "label", "action", "rule")
    list_filter = ("action", "object_kind")


@admin.register(ConnectionEvent)
class ConnectionEventAdmin(TenantScopedAdmin):
    list_display = ("created_at", "action", "by", "tripletex_company_name")
    list_filter = ("action",)


@admin.register(HourTransfer)
class HourTransferAdmin(TenantScopedAdmin):
    list_display = ("local_entry_id", "action", "state", "reason", "attempts", "sent_at", "updated_at")
    list_filter = ("state", "action")
    readonly_fields = ("claimed_by", "claimed_at")


@admin.register(HourSlot)
class HourSlotAdmin(TenantScopedAdmin):
    list_display = ("kind", "employee_id", "date", "project_id", "activity_id", "wage_type_id", "tripletex_id",
                    "hours", "in_doubt")
    list_filter = ("kind", "in_doubt")
