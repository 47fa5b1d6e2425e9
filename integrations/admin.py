from django.contrib import admin

from tenants.admin import TenantScopedAdmin

from .models import (
    Connection, ConnectionEvent, ConnectorConfig, HourSlot, HourTransfer, Link, OutboundChange, RateBudget,
    RemoteChange, SyncRecord, SyncRun, WebhookDelivery, WebhookSubscription,
)


@admin.register(Connection)
class ConnectionAdmin(TenantScopedAdmin):
    list_display = ("state", "tripletex_company_name", "connected_at", "last_refreshed_at")
    # The token is never shown, not even to a superuser; it changes only through the wizard.
    exclude = ("tenant", "employee_token", "webhook_secret")
    readonly_fields = ("state", "tripletex_company_id", "tripletex_company_name", "connected_at", "last_refreshed_at")


@admin.register(Link)
class LinkAdmin(TenantScopedAdmin):
    list_display = ("kind", "local_id", "tripletex_id", "tripletex_company_id", "state", "missing_since")
    list_filter = ("kind", "state")


@admin.register(SyncRun)
class SyncRunAdmin(TenantScopedAdmin):
    list_display = ("kind", "connector", "trigger", "status", "created_at", "finished_at")
    list_filter = ("kind", "connector", "status")


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


@admin.register(ConnectorConfig)
class ConnectorConfigAdmin(TenantScopedAdmin):
    list_display = ("name", "enabled", "watermark", "updated_at")
    readonly_fields = ("watermark", "digests", "last_run")


@admin.register(OutboundChange)
class OutboundChangeAdmin(TenantScopedAdmin):
    list_display = ("kind", "local_id", "op", "state", "attempts", "updated_at")
    list_filter = ("kind", "state")
    readonly_fields = ("claimed_by", "claimed_at")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(TenantScopedAdmin):
    list_display = ("connector", "event", "tripletex_id", "status", "checked_at")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(TenantScopedAdmin):
    list_display = ("created_at", "event", "tripletex_id", "processed_at")


@admin.register(RemoteChange)
class RemoteChangeAdmin(TenantScopedAdmin):
    list_display = ("kind", "label", "change", "state", "created_at")
    list_filter = ("kind", "change", "state")


@admin.register(RateBudget)
class RateBudgetAdmin(admin.ModelAdmin):
    """Tripletex's counts per Tripletex company, no company's data here; read only, since the workers keep them."""

    list_display = ("key", "limit", "remaining", "reset_at", "minute_calls")
    search_fields = ("key",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
