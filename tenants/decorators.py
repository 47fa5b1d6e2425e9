"""Access rules for views: a chosen company, and a role in it."""
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect


def tenant_required(*, roles: tuple[str, ...] | None = None):
    """The user must be logged in, have a company chosen, and (optionally) hold one of `roles` there."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.tenant is None:
                return redirect("tenant_select")
            if roles is not None and request.membership.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        # Who may open the page, readable from the URL conf (functools.wraps carries it through the other
        # decorators): the security suite asks every page as every role from this, so a new page is covered.
        wrapper.tenant_roles = roles if roles is not None else ALL_ROLES
        return wrapper

    return decorator


ADMIN = ("admin",)
APPROVERS = ("admin", "manager")
ALL_ROLES = ("admin", "manager", "employee")
