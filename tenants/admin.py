from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Membership, Tenant, User


class TenantScopedAdmin(admin.ModelAdmin):
    """Admin for tenant-owned models: shows and saves rows of the company the admin has chosen only."""

    exclude = ("tenant",)

    def get_queryset(self, request):
        qs = self.model.objects.all() if request.tenant else self.model.objects.none()
        return qs.filter(tenant=request.tenant) if request.tenant else qs

    def has_module_permission(self, request):
        return request.tenant is not None and super().has_module_permission(request)

    def save_model(self, request, obj, form, change):
        obj.tenant = request.tenant
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if request.tenant is not None and any(f.name == "tenant" for f in related._meta.fields):
            kwargs["queryset"] = related.objects.filter(tenant=request.tenant)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name")}),
        ("Tilgang", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "org_number", "slug")
    search_fields = ("name", "org_number")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "tenant", "role")
    list_filter = ("role", "tenant")
