"""The activation wizard's pages. Thin: every change goes through wizard.services."""
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from integrations import rights
from integrations.clients import environment_hint
from integrations.models import SyncRecord, SyncRun
from integrations.selectors import connection_for
from tenants.decorators import ADMIN, tenant_required
from tenants.ids import posted_id, posted_ids

from . import selectors, services, steps
from .forms import ListFilterForm, SendHoursForm, TokenForm
from .models import Fetch

PAGE_SIZE = 50
admin_only = tenant_required(roles=ADMIN)


def _step_url(step: steps.Step) -> str:
    return reverse("wizard:step", kwargs={"step": step.slug})


def _refresh(request) -> bool:
    connection = connection_for(tenant=request.tenant)
    return bool(connection and connection.is_connected)


def _context(request, draft, step, **extra) -> dict:
    connection = connection_for(tenant=request.tenant)
    return {
        "draft": draft, "step": step, "steps": steps.STEPS, "step_index": steps.STEPS.index(step),
        "prev_step": steps.neighbours(step)[0], "next_step": steps.neighbours(step)[1],
        "refresh": bool(connection and connection.is_connected), "connection": connection,
        "application_name": services.APPLICATION_NAME, **extra,
    }


@admin_only
def start(request):
    """'Koble til Tripletex' and 'Oppdater' both land here: resume the draft or begin one."""
    draft = services.draft_start(tenant=request.tenant, by=request.user)
    if draft.token_checked:
        return redirect(_step_url(steps.BY_SLUG["prosjekter"]))
    return redirect(_step_url(steps.STEPS[0]))


@sensitive_post_parameters("token")
@admin_only
def step(request, step):
    current = steps.BY_SLUG.get(step)
    if current is None:
        raise Http404
    draft = services.draft_for(tenant=request.tenant)
    if current.slug == steps.FINISH and request.method == "POST" and "draft" in request.POST:
        return _finish_step(request, draft, current)  # also when that run has ended: the service says how
    if not current.available(draft):
        return redirect("wizard:start")
    if current.slug == steps.TOKEN:
        return _token_step(request, draft, current)
    if current.slug == steps.FINISH:
        return _finish_step(request, draft, current)
    return _list_step(request, draft, current)


def _token_step(request, draft, current):
    if request.htmx and request.GET.get("poll") == "rights":
        return render(request, "wizard/_rights.html", _rights_context(request, draft))
    form = TokenForm(request.POST or None)
    if (draft and draft.token_checked) or _refresh(request):
        # A key is in use already: the way on is «Neste» or the stored key, not typing into this field.
        form.fields["token"].widget.attrs.pop("autofocus", None)
    other_company = None
    if request.method == "POST" and form.is_valid():
        try:
            services.draft_check_token(
                tenant=request.tenant, by=request.user, token=form.cleaned_data["token"],
                keep_stored=form.cleaned_data["keep_stored"],
                confirm_other_company=form.cleaned_data["confirm_other_company"],
            )
            return redirect(_step_url(current))
        except services.OtherCompany as exc:
            other_company = exc.message
        except services.WizardError as exc:
            form.add_error("token", exc.message)
    return render(request, "wizard/step_token.html", _context(
        request, draft, current, form=form, other_company=other_company, **_rights_context(request, draft),
    ))


def _rights_context(request, draft) -> dict:
    connection = connection_for(tenant=request.tenant)
    rows = selectors.key_rights(draft=draft, connection=connection)
    # The short way back: a connection waiting for a key, and a new key for its Tripletex company checked here.
    resumable = bool(
        connection and connection.needs_token and draft and draft.token_checked
        and draft.tripletex_company_id == connection.tripletex_company_id
    )
    return {"rights_rows": rows, "rights_missing": any(r["state"] == rights.MISSING for r in rows or ()),
            "rights_employee": draft.tripletex_employee_name if draft else "", "resumable": resumable,
            "environment_hint": environment_hint()}


@require_POST
@admin_only
def resume(request):
    """«Ta i bruk nøkkelen»: the new key replaces the refused one and transfers resume; the wizard run ends."""
    try:
        services.draft_resume_with_key(tenant=request.tenant, by=request.user)
    except services.WizardError as exc:
        messages.error(request, exc.message)
        return redirect(_step_url(steps.BY_SLUG[steps.TOKEN]))
    messages.success(request, _("Den nye API-nøkkelen er tatt i bruk. Det som ventet, sendes til Tripletex nå."))
    return redirect(f"{reverse('company_settings')}#tripletex")


def _list_step(request, draft, current):
    kind = current.kind
    if request.method == "POST":
        ids = posted_ids(request.POST, "item")
        q, show = ListFilterForm(request.POST).values()
        select = request.POST.get("select")
        if select in ("all", "none"):
            services.items_select(draft=draft, kind=kind, selected=select == "all", q=q, show=show)
        else:
            # The page's checkboxes: what is ticked on this page is chosen, what is not is not.
            page_ids = posted_ids(request.POST, "on_page")
            services.items_select(draft=draft, kind=kind, selected=False, ids=[i for i in page_ids if i not in ids])
            services.items_select(draft=draft, kind=kind, selected=True, ids=ids)
        if request.htmx:
            return _list_fragment(request, draft, current)
        return redirect(f"{_step_url(current)}?{request.GET.urlencode()}")
    fetch = Fetch.objects.filter(draft=draft, kind=kind).first()
    if request.htmx and request.GET.get("poll"):
        if fetch is None or fetch.status == Fetch.Status.DONE:
            return HttpResponseClientRefresh()  # the list is ready: show the whole step again
        return render(request, "wizard/_fetch_progress.html", {"fetch": fetch, "step": current})
    return render(request, "wizard/step_list.html", _context(request, draft, current, fetch=fetch, **_list_data(request, draft, kind)))


def _list_data(request, draft, kind) -> dict:
    q, show = ListFilterForm(request.GET).values()
    items = services.items_matching(draft=draft, kind=kind, q=q, show=show).annotate(linked=selectors.linked(draft))
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("side"))
    return {
        "page": page, "q": q, "show": show, "counts": selectors.list_counts(draft=draft, kind=kind),
        "skip_reasons": selectors.skip_reasons(draft=draft, kind=kind), "kind": kind,
    }


def _list_fragment(request, draft, current):
    return render(request, "wizard/_list.html", _context(request, draft, current, **_list_data(request, draft, current.kind)))


def _finish_step(request, draft, current):
    form = SendHoursForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # The wizard run the page was made for: a page left open must not finish a run started after it.
            run = services.draft_finish(
                tenant=request.tenant, by=request.user, draft_id=posted_id(request.POST, "draft"),
                send_hours=form.cleaned_data["send_hours"], send_hours_from=form.cleaned_data["send_hours_from"],
            )
        except services.AlreadyFinished as exc:
            messages.info(request, exc.message)
            return redirect("company_settings")
        except services.RunEnded as exc:
            messages.warning(request, exc.message)
            return redirect("company_settings")
        except services.WizardError as exc:
            messages.error(request, exc.message)
            return redirect(_step_url(current))
        messages.success(request, _("Tripletex er koblet til. Godkjente timer overføres nå automatisk."))
        if run.message:
            messages.info(request, run.message)  # which waiting hours were kept back, and how to send them
        return redirect(f"{reverse('company_settings')}#tripletex")
    if draft is None:
        return redirect("wizard:start")
    return render(request, "wizard/step_finish.html", _context(
        request, draft, current, summary=selectors.finish_summary(draft=draft),
        missing=selectors.missing_links(draft=draft), ready=services.fetches_done(draft),
        fetches=Fetch.objects.filter(draft=draft), form=form,
        hours=selectors.hours_waiting(tenant=request.tenant, refresh=_refresh(request)),
    ), status=400 if form.is_bound else 200)


@require_POST
@admin_only
def fetch_retry(request, kind):
    draft = services.draft_for(tenant=request.tenant)
    step_ = steps.BY_KIND.get(kind)
    if draft is None or step_ is None or not draft.token_checked:
        raise Http404
    services.fetch_start(draft=draft, kind=kind)
    return redirect(_step_url(step_))


@require_POST
@admin_only
def cancel(request):
    services.draft_cancel(tenant=request.tenant)
    messages.info(request, _("Aktiveringen er avbrutt. Ingenting er endret."))
    return redirect("company_settings")


@admin_only
def remove(request):
    connection = connection_for(tenant=request.tenant)
    if connection is None or not connection.is_connected:
        return redirect("company_settings")
    if request.method == "POST":
        services.integration_remove(tenant=request.tenant, by=request.user)
        messages.success(request, _("Integrasjonen er fjernet. Ingen timer sendes til Tripletex før du kobler til igjen."))
        return redirect("company_settings")
    return render(request, "wizard/remove_confirm.html", {"connection": connection})


@admin_only
def history(request):
    runs = SyncRun.objects.filter(tenant=request.tenant).select_related("started_by")[:100]
    return render(request, "wizard/history.html", {"events": selectors.history(tenant=request.tenant)[:200], "runs": runs})


@admin_only
def run_log(request, run_id):
    run = get_object_or_404(SyncRun, tenant=request.tenant, id=run_id)
    records = SyncRecord.objects.filter(tenant=request.tenant, run=run)
    action = request.GET.get("handling", "")
    if action in SyncRecord.Action.values:
        records = records.filter(action=action)
    page = Paginator(records, 100).get_page(request.GET.get("side"))
    return render(request, "wizard/run_log.html", {"run": run, "page": page, "action": action, "actions": SyncRecord.Action.choices})
