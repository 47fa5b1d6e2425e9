"""API-nøkler under Selskapsinnstillinger: an admin makes keys for the company's business systems
(each shown once), sees when each was last used, and revokes them."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from tenants.decorators import ADMIN, tenant_required

from . import selectors, services
from .forms import ApiKeyForm
from .models import TenantAPIKey


@never_cache
@tenant_required(roles=ADMIN)
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    new_key, status = None, 200
    if request.method == "POST" and form.is_valid():
        api_key, new_key = services.api_key_create(
            tenant=request.tenant, name=form.cleaned_data["name"],
            read_only=form.cleaned_data["scope"] == TenantAPIKey.Scope.READ_ONLY, by=request.user,
        )
        # Rendered, not redirected to: the key is shown this once and kept nowhere but in its hash. 201 says
        # a key was made, as a redirect would; a refused form answers 200 and made nothing.
        form, status = ApiKeyForm(), 201
    return render(request, "api/keys.html", {
        "form": form, "new_key": new_key, "keys": selectors.api_keys_for(tenant=request.tenant), "tab": "api_keys",
    }, status=status)


@require_POST
@tenant_required(roles=ADMIN)
def api_key_revoke(request, key_prefix: str):
    api_key = get_object_or_404(TenantAPIKey, tenant=request.tenant, prefix=key_prefix)
    services.api_key_revoke(tenant=request.tenant, api_key=api_key)
    messages.success(request, _("API-nøkkelen «%(name)s» er tilbakekalt. Den virker ikke lenger.") % {
        "name": api_key.name,
    })
    return redirect("api_keys:list")
