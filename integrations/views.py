"""Timeoverføring: what went to Tripletex, what did not and why, "Prøv igjen", and the export per period.
"Endret i Tripletex": accept or dismiss what the nightly look found changed there."""
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from tenants.decorators import ADMIN, tenant_required
from tenants.ids import posted_ids

from .connectors import remote_changes
from .forms import HoursExportForm
from .hours import enqueue_push_on_commit
from .hours.corrections import hour_corrections, hour_corrections_mark_handled
from .hours.outbox import hour_transfers_retry, hours_export_period
from .hours.selectors import hours_problems, hours_runs, hours_status
from .models import RemoteChange, SyncRecord, SyncRun
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
        "needs_token": bool(connection and connection.needs_token),
        "hours_status": hours_status(tenant=request.tenant),
        "runs": hours_runs(tenant=request.tenant),
        "problems": hours_problems(tenant=request.tenant),
        "corrections": hour_corrections(tenant=request.tenant),
    })


@require_POST
@tenant_required(roles=ADMIN)
def hours_retry(request):
    ids = posted_ids(request.POST, "rows")
    if not ids and request.POST.get("only") == "locked":
        ids = list(hour_corrections(tenant=request.tenant).values_list("id", flat=True))
    with transaction.atomic():
        n = hour_transfers_retry(tenant=request.tenant, ids=ids if ids else None)
        if n:
            enqueue_push_on_commit(tenant_id=request.tenant.id)
    messages.success(request, _("%(n)d føringer sendes på nytt.") % {"n": n})
    return redirect("integrations:hours")


@require_POST
@tenant_required(roles=ADMIN)
def hours_mark_handled(request):
    ids = posted_ids(request.POST, "rows")
    run = hour_corrections_mark_handled(tenant=request.tenant, ids=ids, by=request.user) if ids else None
    if run is None:
        messages.warning(request, _("Velg timene du har ordnet for hånd i Tripletex."))
    else:
        messages.success(request, ngettext(
            "%(n)d føring er markert som ordnet for hånd i Tripletex.",
            "%(n)d føringer er markert som ordnet for hånd i Tripletex.",
            run.summary["handled"]) % {"n": run.summary["handled"]})
    return redirect(reverse("integrations:hours") + "#laste-perioder")


@require_POST
@tenant_required(roles=ADMIN)
def hours_export(request):
    form = HoursExportForm(request.POST)
    if not form.is_valid():
        return _overview(request, form)
    connection = connection_for(tenant=request.tenant)
    if connection and connection.needs_token:
        form.add_error(None, _("Tripletex godtar ikke API-nøkkelen. Legg inn en ny nøkkel først, så kan timene "
                               "eksporteres."))
        return _overview(request, form)
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


def _to_card():
    return redirect(reverse("company_settings") + "#tripletex")


def _accept(request, ids):
    try:
        run = remote_changes.remote_changes_accept(tenant=request.tenant, by=request.user, ids=ids)
    except remote_changes.NotConnected as exc:
        messages.error(request, exc.message)
        return _to_card()
    failed = list(run.records.filter(action=SyncRecord.Action.FAILED)[:5])
    for record in failed:
        messages.error(request, f"{record.label}: {record.message}")
    done = run.records.exclude(action=SyncRecord.Action.FAILED).count()
    if done:
        messages.success(request, ngettext(
            "%(n)d endring fra Tripletex er tatt inn.", "%(n)d endringer fra Tripletex er tatt inn.", done,
        ) % {"n": done})
    return _to_card()


@require_POST
@tenant_required(roles=ADMIN)
def remote_change_accept(request, change_id: int):
    change = get_object_or_404(RemoteChange, tenant=request.tenant, id=change_id)
    return _accept(request, [change.id])


@require_POST
@tenant_required(roles=ADMIN)
def remote_changes_accept_all(request):
    return _accept(request, None)


@require_POST
@tenant_required(roles=ADMIN)
def remote_change_dismiss(request, change_id: int):
    change = get_object_or_404(RemoteChange, tenant=request.tenant, id=change_id)
    if remote_changes.remote_change_dismiss(tenant=request.tenant, change_id=change.id, by=request.user):
        messages.success(request, _("Endringen er avvist. Den kommer tilbake bare hvis den endres igjen i Tripletex."))
    return _to_card()
