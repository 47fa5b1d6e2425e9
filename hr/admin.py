from django.contrib import admin

from tenants.admin import TenantScopedAdmin

from .models import Activity, Customer, Employee, Project, TimeEntry, WageType


class RegisterAdmin(TenantScopedAdmin):
    """Projects, customers and employees are changed on their own pages, whose services queue every change
    for the two-way connector; saved here, a change would never reach Tripletex. So the admin shows them,
    and changes only what no connector sends (`editable`)."""

    editable: tuple[str, ...] = ()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return bool(self.editable) and super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in (*self.editable, "id", "tenant")]


@admin.register(Employee)
class EmployeeAdmin(RegisterAdmin):
    list_display = ("first_name", "last_name", "employee_number", "email", "active")
    search_fields = ("first_name", "last_name", "email", "employee_number")
    # Which login enters hours as this employee: set here only, and never sent to Tripletex.
    editable = ("user",)


@admin.register(Customer)
class CustomerAdmin(RegisterAdmin):
    list_display = ("customer_number", "name", "org_number", "status")
    search_fields = ("name", "customer_number", "org_number")


@admin.register(Project)
class ProjectAdmin(RegisterAdmin):
    list_display = ("number", "name", "status", "start_date", "is_internal")
    search_fields = ("number", "name")


@admin.register(WageType)
class WageTypeAdmin(TenantScopedAdmin):
    list_display = ("number", "name", "active")


@admin.register(Activity)
class ActivityAdmin(TenantScopedAdmin):
    list_display = ("number", "name", "hourly_rate")


@admin.register(TimeEntry)
class TimeEntryAdmin(TenantScopedAdmin):
    list_display = ("employee", "date", "hours", "project", "activity", "status")
    list_filter = ("status",)
    # Approval goes through the approve service so the Tripletex outbox is written; not editable here.
    readonly_fields = ("status", "approved_by", "approved_at")

    def has_change_permission(self, request, obj=None):
        # Changing or deleting approved hours here would bypass the hooks that keep Tripletex in step.
        return super().has_change_permission(request, obj) and (obj is None or obj.status != TimeEntry.Status.APPROVED)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.status != TimeEntry.Status.APPROVED)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
