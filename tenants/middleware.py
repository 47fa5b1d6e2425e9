"""Finds the company the request acts for and enters its scope for the whole request."""
from django_scopes import scope, scopes_disabled

from .models import Membership

SESSION_KEY = "tenant_id"


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = None
        request.membership = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = Membership.objects.filter(user=user).select_related("tenant")
            tenant_id = request.session.get(SESSION_KEY)
            chosen = memberships.filter(tenant_id=tenant_id).first() if tenant_id else None
            if chosen is None:
                # Only a user with exactly one company is placed in it without asking.
                only = list(memberships[:2])
                chosen = only[0] if len(only) == 1 else None
                if chosen:
                    request.session[SESSION_KEY] = chosen.tenant_id
            if chosen:
                request.membership = chosen
                request.tenant = chosen.tenant
        if request.tenant is not None:
            with scope(tenant=request.tenant):
                return self.get_response(request)
        if request.path.startswith("/admin/") and getattr(request.user, "is_superuser", False):
            with scopes_disabled():
                return self.get_response(request)
        return self.get_response(request)
