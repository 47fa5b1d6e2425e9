"""The start-up sync's pages: the offer with Tripletex's counts, the run's progress, and the employee's invitation.

Thin: the run is asked for through `startup.startup_request`; the invitation page sets a password with
Django's own form once the token is checked.
"""
from django import forms
from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from tenants.decorators import ADMIN, tenant_required
from tenants.models import User

from ... import clients
from ...models import Connection, ConnectorConfig
from ...tripletex import TripletexError
from .. import registry
from ..selectors import run_in_progress
from ..services import ActionRefused
from . import startup

admin_only = tenant_required(roles=ADMIN)


class StartupForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Hva skal hentes?"), widget=forms.CheckboxSelectMultiple, required=True,
        choices=[(k, startup.KIND_TITLES[k]) for k in startup.KINDS],
        error_messages={"required": gettext_lazy("Velg minst én type data å hente.")},
    )


def _state(request) -> dict:
    connection = Connection.objects.filter(tenant=request.tenant).first()
    config = ConnectorConfig.objects.filter(tenant=request.tenant, name=startup.NAME).first()
    return {"connection": connection, "connected": bool(connection and connection.is_active),
            "enabled": bool(config and config.enabled), "connector": registry.get(startup.NAME)}


@require_http_methods(["GET", "POST"])
@admin_only
def startup_page(request):
    """The offer: how many of each kind Tripletex holds, a checkbox per kind, and one button."""
    state = _state(request)
    last = startup.last_startup_run(tenant=request.tenant)
    if run_in_progress(last):
        return redirect("integrations:inventory_startup_run", run_id=last.id)
    form = StartupForm(request.POST if request.method == "POST" else None, initial={"kinds": list(startup.KINDS)})
    if request.method == "POST" and form.is_valid():
        try:
            run = startup.startup_request(tenant=request.tenant, kinds=form.cleaned_data["kinds"], by=request.user)
        except ActionRefused as exc:
            messages.error(request, exc.message)
        else:
            return redirect("integrations:inventory_startup_run", run_id=run.id)
    counts, error = {}, ""
    if state["connected"] and state["enabled"]:
        try:
            counts = startup.preview(clients.pooled_client_for_connection(state["connection"]))
        except TripletexError as exc:
            error = exc.message
    rows = [{"kind": k, "title": startup.KIND_TITLES[k], "hint": startup.KIND_HINTS[k], "count": counts.get(k)}
            for k in startup.KINDS]
    chosen = set(form["kinds"].value() or [])
    return render(request, "integrations/inventory_startup.html", {
        **state, "form": form, "rows": rows, "chosen": chosen, "error": error, "last": last, "tab": "integrations",
        "done": startup.startup_done(tenant=request.tenant),
    }, status=400 if form.errors else 200)


@admin_only
def startup_run(request, run_id):
    """The run's progress bar, polled by HTMX while it runs; its result per kind when done."""
    run = get_object_or_404(startup.startup_runs(tenant=request.tenant), id=run_id)
    progress = startup.progress(run)
    if request.htmx and request.GET.get("poll"):
        if run.finished_at is not None:
            return HttpResponseClientRefresh()
        return render(request, "integrations/_inventory_startup_progress.html", {"run": run, "progress": progress})
    per_kind = {}
    for kind, action, n in run.records.values_list("object_kind", "action").annotate(n=Count("id")).order_by():
        per_kind.setdefault(kind, {})[action] = n
    labels = dict(run.records.model.Action.choices)
    results = [{"title": startup.KIND_TITLES[k], "counts": [
        {"action": a, "label": labels[a], "n": per_kind[k][a]} for a in labels if per_kind.get(k, {}).get(a)]}
        for k in startup.KINDS if k in (run.summary or {}).get("kinds", [])]
    return render(request, "integrations/inventory_startup_run.html", {
        "run": run, "progress": progress, "results": results, "tab": "integrations",
    })


def _invited_user(request) -> User | None:
    try:
        pk = force_str(urlsafe_base64_decode(request.GET.get("u", "")))
        user = User.objects.filter(pk=int(pk)).first()
    except (TypeError, ValueError, OverflowError):
        return None
    if user is None or user.has_usable_password():
        return None
    return user if default_token_generator.check_token(user, request.GET.get("t", "")) else None


@require_http_methods(["GET", "POST"])
def invite(request):
    """The link in an invited employee's e-mail: choose a password, then log in. Works once."""
    user = _invited_user(request)
    if user is None:
        return render(request, "integrations/inventory_invite.html", {"invalid": True}, status=400)
    form = SetPasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Passordet er lagret. Logg inn med e-posten din og det nye passordet."))
        return redirect(reverse("login"))
    return render(request, "integrations/inventory_invite.html", {"form": form, "user_email": user.email},
                  status=400 if form.errors else 200)
