"""The Django admin, limited to the company the staff user has chosen.

Staff of one company see and change only that company: its rows, its own company record, its members and
their memberships. A superuser who has chosen no company (the platform's operator) sees every company, and
only they add or delete companies or make someone staff or superuser.
"""
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Membership, Tenant, User
from .services import membership_grant


def _operator(request) -> bool:
    """The platform's operator: a superuser acting for no company in particular."""
    return request.user.is_superuser and request.tenant is None


def _company_users(tenant: Tenant):
    return User.objects.filter(memberships__tenant=tenant).distinct()


def _validating_company(form_class, tenant: Tenant):
    """`form_class` checking the model's constraints that include the company field it does not show.

    Without this a second Employee for the same user, or a second membership, passes the form and
    fails in the database.
    """

    class CompanyForm(form_class):
        def _post_clean(self):
            self.instance.tenant = tenant
            super()._post_clean()

        def _get_validation_exclusions(self):
            return super()._get_validation_exclusions() - {"tenant"}

    return CompanyForm


class TenantScopedAdmin(admin.ModelAdmin):
    """Admin for tenant-owned models: shows and saves rows of the company the admin has chosen only."""

    exclude = ("tenant",)

    def get_queryset(self, request):
        qs = self.model.objects.all() if request.tenant else self.model.objects.none()
        return qs.filter(tenant=request.tenant) if request.tenant else qs

    def has_module_permission(self, request):
        return request.tenant is not None and super().has_module_permission(request)

    def get_form(self, request, obj=None, **kwargs):
        return _validating_company(super().get_form(request, obj, **kwargs), request.tenant)

    def save_model(self, request, obj, form, change):
        obj.tenant = request.tenant
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if request.tenant is not None:
            if any(f.name == "tenant" for f in related._meta.fields):
                kwargs["queryset"] = related.objects.filter(tenant=request.tenant)
            elif related is User:
                kwargs["queryset"] = _company_users(request.tenant)
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

    def get_queryset(self, request):
        if _operator(request):
            return super().get_queryset(request)
        if request.tenant is None:
            return User.objects.none()
        return super().get_queryset(request).filter(memberships__tenant=request.tenant).distinct()

    def has_module_permission(self, request):
        return (_operator(request) or request.tenant is not None) and super().has_module_permission(request)

    def has_add_permission(self, request):
        return (_operator(request) or request.tenant is not None) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._own(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._own(request, obj)

    def _own(self, request, obj) -> bool:
        """A user another company shares (their login, their password) is changed by the operator only."""
        if obj is None or _operator(request):
            return True
        if obj.is_superuser and not request.user.is_superuser:
            return False
        return not obj.memberships.exclude(tenant=request.tenant).exists()

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ("is_staff", "is_superuser")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and request.tenant is not None:
            # A user made by a company's staff belongs to that company, or they could not see it again.
            membership_grant(tenant=request.tenant, user=obj, role=Membership.Role.EMPLOYEE)


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "org_number", "slug")
    search_fields = ("name", "org_number")

    def get_queryset(self, request):
        if _operator(request):
            return super().get_queryset(request)
        if request.tenant is None:
            return Tenant.objects.none()
        return super().get_queryset(request).filter(id=request.tenant.id)

    def has_module_permission(self, request):
        return (_operator(request) or request.tenant is not None) and super().has_module_permission(request)

    def has_add_permission(self, request):
        return _operator(request) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        # Deleting a company deletes everything it has.
        return _operator(request) and super().has_delete_permission(request, obj)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "tenant", "role")

    def get_queryset(self, request):
        if _operator(request):
            return super().get_queryset(request)
        if request.tenant is None:
            return Membership.objects.none()
        return super().get_queryset(request).filter(tenant=request.tenant)

    def get_list_filter(self, request):
        return ("role", "tenant") if _operator(request) else ("role",)

    def get_exclude(self, request, obj=None):
        return () if _operator(request) else ("tenant",)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return form if _operator(request) else _validating_company(form, request.tenant)

    def has_module_permission(self, request):
        return (_operator(request) or request.tenant is not None) and super().has_module_permission(request)

    def has_add_permission(self, request):
        # A company's staff add people by adding a user (who becomes a member); joining another company's
        # user, or joining another company, is for the operator.
        return _operator(request) and super().has_add_permission(request)

    def save_model(self, request, obj, form, change):
        if not _operator(request):
            obj.tenant = request.tenant
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not _operator(request):
            kwargs["queryset"] = _company_users(request.tenant) if request.tenant else User.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
