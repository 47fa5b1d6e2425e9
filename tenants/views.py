from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import LoginView as DjangoLoginView
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from integrations.selectors import remote_changes_pending, status_card

from .decorators import ADMIN, tenant_required
from .forms import CompanyForm, EmailLoginForm
from .ids import posted_id
from .middleware import SESSION_KEY
from .models import Membership


class LoginView(DjangoLoginView):
    template_name = "tenants/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True


@require_POST
def logout_view(request):
    logout(request)
    return redirect("login")


@tenant_required()
def home(request):
    if request.membership.can_approve:
        return redirect("hr:approvals")
    return redirect("hr:timesheet")


@login_required
def tenant_select(request):
    memberships = Membership.objects.filter(user=request.user).select_related("tenant").order_by("tenant__name")
    if request.method == "POST":
        chosen = memberships.filter(tenant_id=posted_id(request.POST, "tenant")).first()
        if chosen is None:
            return HttpResponseBadRequest(_("Du har ikke tilgang til dette selskapet."))
        request.session[SESSION_KEY] = chosen.tenant_id
        return redirect("home")
    return render(request, "tenants/select.html", {"memberships": memberships})


@tenant_required(roles=ADMIN)
def company_settings(request):
    form = CompanyForm(request.POST or None, instance=request.tenant)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Selskapsinnstillingene er lagret."))
        return redirect("company_settings")
    return render(
        request, "tenants/settings_general.html",
        {"form": form, "tab": "general", "tripletex": status_card(tenant=request.tenant),
         "tripletex_changes": remote_changes_pending(tenant=request.tenant)},
    )
