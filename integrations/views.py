"""Timeoverføring: what went to Tripletex, what did not and why, "Prøv igjen", and the export per period."""
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.decorators import ADMIN, tenant_required

from .forms import HoursExportForm
from .hours import enqueue_push_on_commit
from .hours.outbox import hour_transfers_retry, hours_export_period
from .hours.selectors import hours_problems, hours_runs, hours_status
from .models import SyncRun
from .selectors import connection_for

HOURS_KINDS = (SyncRun.Kind.HOURS, SyncRun.Kind.HOURS_EXPORT)


@tenant_required(roles=ADMIN)
def hours_overview(request):
    return _overview(request, HoursExportForm())


def _overview(request, form):
    connection = connection_for(tenant=request.tenant)
    return render(request, "integrations/hours.html", {
        "form": form,
        "connected": bool(connection and connection.is_active),
        "hours_status": hours_status(tenant=request.tenant),
        "runs": hours_runs(tenant=request.tenant),
        "problems": hours_problems(tenant=request.tenant),
    })


@require_POST
@tenant_required(roles=ADMIN)
def hours_retry(request):
    ids = [int(i) for i in request.POST.getlist("rows") if i.isdigit()]
    with transaction.atomic():
        n = hour_transfers_retry(tenant=request.tenant, ids=ids if ids else None)
        if n:
            enqueue_push_on_commit(tenant_id=request.tenant.id)
    messages.success(request, _("%(n)d føringer sendes på nytt.") % {"n": n})
    return redirect("integrations:hours")


@require_POST
@tenant_required(roles=ADMIN)
def hours_export(request):
    form = HoursExportForm(request.POST)
    if not form.is_valid():
        return _overview(request, form)
    connection = connection_for(tenant=request.tenant)
    if not (connection and connection.is_active):
        form.add_error(None, _("Tripletex er ikke koblet til. Koble til først, så kan timene eksporteres."))
        return _overview(request, form)
    with transaction.atomic():
        run = hours_export_period(
            tenant=request.tenant, date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"],
            by=request.user,
        )
        enqueue_push_on_commit(tenant_id=request.tenant.id)
    return redirect("integrations:hours_run", run_id=run.id)


@tenant_required(roles=ADMIN)
def hours_run(request, run_id: int):
    run = get_object_or_404(SyncRun, tenant=request.tenant, id=run_id, kind__in=HOURS_KINDS)
    return render(request, "integrations/hours_run.html", {"run": run, "records": run.records.all()[:1000]})
