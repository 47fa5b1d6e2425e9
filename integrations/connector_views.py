"""Integrasjoner (a card per connector: on/off, options, "Synkroniser nå") and the Synkroniseringslogg.

Thin: every change goes through `integrations.connectors.services`; reads are in its `selectors`.
"""
import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tenants.decorators import ADMIN, tenant_required

from .connectors import registry, selectors, services
from .connectors.base import Connector
from .connectors.requirements import connector_requirements_missing
from .forms import SyncLogFilterForm
from .models import Link, SyncRecord, SyncRun

LOG_PAGE_SIZE = 50
admin_only = tenant_required(roles=ADMIN)


def _connector_or_404(name: str) -> Connector:
    connector = registry.get(name)
    if connector is None:
        raise Http404
    return connector


def _options_form(connector: Connector, card: selectors.ConnectorCard, data=None):
    return connector.options_form(data, initial=card.options, prefix=connector.name)


def _page(request, *, invalid: tuple[str, object] | None = None, refused: tuple[str, list[str]] | None = None):
    """The Integrasjoner page; `invalid` is a connector's name and its bound options form with errors,
    `refused` a connector's name and why the company's Tripletex cannot take it."""
    connected = selectors.connection_active(tenant=request.tenant)
    cards = []
    for card in selectors.connector_cards(tenant=request.tenant):
        if invalid and invalid[0] == card.connector.name:
            form = invalid[1]
        else:
            form = _options_form(card.connector, card)
        reasons = refused[1] if refused and refused[0] == card.connector.name else []
        cards.append({"card": card, "form": form, "refused": reasons})
    return render(request, "integrations/connectors.html", {
        "connected": connected, "cards": cards, "tab": "integrations",
    })


@admin_only
def connectors(request):
    return _page(request)


@require_GET
@admin_only
def connector_card(request, connector):
    """One card again, for HTMX to poll while its run is going."""
    found = _connector_or_404(connector)
    card = selectors.connector_card(tenant=request.tenant, connector=found)
    return render(request, "integrations/_connector_card.html", {
        "card": card, "form": _options_form(found, card),
        "connected": selectors.connection_active(tenant=request.tenant),
    })


def _refuse_unless_connected(request) -> bool:
    if selectors.connection_active(tenant=request.tenant):
        return False
    messages.error(
        request, _("Tripletex er ikke koblet til. Integrasjonene kan bare brukes mens Tripletex er koblet til."),
    )
    return True


def _back_to_card(connector: Connector):
    return redirect(f"{reverse('integrations:connectors')}#connector-{connector.name}")


@require_POST
@admin_only
def connector_enable(request, connector):
    found = _connector_or_404(connector)
    if _refuse_unless_connected(request):
        return _back_to_card(found)
    reasons = connector_requirements_missing(tenant=request.tenant, connector=found)
    if reasons:
        # Shown on the card itself, not as a passing message: the admin has something to fix in Tripletex.
        return _page(request, refused=(found.name, reasons))
    try:
        services.connector_enable(tenant=request.tenant, name=found.name, by=request.user)
    except services.ActionRefused as exc:
        messages.error(request, exc.message)
        return _back_to_card(found)
    messages.success(request, _("«%(title)s» er slått på.") % {"title": found.title})
    return _back_to_card(found)


@require_POST
@admin_only
def connector_disable(request, connector):
    found = _connector_or_404(connector)
    if _refuse_unless_connected(request):
        return _back_to_card(found)
    services.connector_disable(tenant=request.tenant, name=found.name, by=request.user)
    messages.success(request, _("«%(title)s» er slått av. Ingenting sendes eller hentes for den før du slår den på "
                                "igjen.") % {"title": found.title})
    return _back_to_card(found)


@require_POST
@admin_only
def connector_options(request, connector):
    found = _connector_or_404(connector)
    if _refuse_unless_connected(request):
        return _back_to_card(found)
    card = selectors.connector_card(tenant=request.tenant, connector=found)
    form = _options_form(found, card, data=request.POST)
    if not form.is_valid():
        return _page(request, invalid=(found.name, form))
    # Options live in a JSON column: dates and decimals go in as the strings a form takes back.
    options = json.loads(json.dumps(form.cleaned_data, cls=DjangoJSONEncoder))
    services.connector_options_update(tenant=request.tenant, name=found.name, options=options)
    messages.success(request, _("Innstillingene for «%(title)s» er lagret.") % {"title": found.title})
    return _back_to_card(found)


@require_POST
@admin_only
def connector_sync(request, connector):
    """"Synkroniser nå": a reconcile run, queued; the card shows its progress."""
    found = _connector_or_404(connector)
    if _refuse_unless_connected(request):
        return _back_to_card(found)
    card = selectors.connector_card(tenant=request.tenant, connector=found)
    if not card.enabled or found.reconcile is None:
        messages.error(request, _("Slå på «%(title)s» før du synkroniserer.") % {"title": found.title})
    elif card.running:
        messages.info(request, _("En synkronisering pågår allerede."))
    else:
        services.connector_run_request(
            tenant=request.tenant, name=found.name, trigger=SyncRun.Trigger.MANUAL, by=request.user,
        )
        messages.success(request, _("Synkroniseringen er startet."))
    return _back_to_card(found)


@admin_only
def sync_log(request):
    form = SyncLogFilterForm(
        request.GET or None, sources=selectors.source_choices(), kinds=selectors.KIND_LABELS.items(),
        actions=SyncRecord.Action.choices, directions=SyncRecord.Direction.choices,
    )
    if form.is_bound:
        form.is_valid()
    filters = form.filters()
    records = selectors.sync_records(tenant=request.tenant, **filters)
    page = Paginator(records, LOG_PAGE_SIZE).get_page(request.GET.get("side"))
    rows = list(page)
    broken = selectors.broken_links(tenant=request.tenant, records=rows)
    for r in rows:
        r.can_retry = selectors.can_retry(r)
        r.broken_link_id = broken.get(r.id)
        r.source = selectors.run_source(r.run)
        r.kind_label = selectors.KIND_LABELS.get(r.object_kind, r.object_kind)
    run = None
    if filters["run_id"] is not None:
        run = SyncRun.objects.filter(tenant=request.tenant, id=filters["run_id"]).select_related("started_by").first()
    query = request.GET.copy()
    query.pop("side", None)
    return render(request, "integrations/sync_log.html", {
        "form": form, "page": page, "rows": rows, "run": run, "run_source": run and selectors.run_source(run),
        "query": query.urlencode(), "tab": "log",
    })


def _back_to_log(request):
    target = request.POST.get("next", "")
    if target.startswith(reverse("integrations:sync_log")) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure(),
    ):
        return redirect(target)
    return redirect("integrations:sync_log")


@require_POST
@admin_only
def record_retry(request, record_id):
    record = get_object_or_404(SyncRecord, tenant=request.tenant, id=record_id)
    try:
        services.sync_record_retry(tenant=request.tenant, record_id=record.id)
    except services.ActionRefused as exc:
        messages.error(request, exc.message)
        return _back_to_log(request)
    label = {"label": record.label or record.object_kind}
    if record.direction == SyncRecord.Direction.TO_TRIPLETEX:
        messages.success(request, _("«%(label)s» sendes til Tripletex på nytt.") % label)
    else:
        messages.success(request, _("«%(label)s» leses på nytt fra Tripletex.") % label)
    return _back_to_log(request)


@require_POST
@admin_only
def link_restore(request, link_id):
    link = get_object_or_404(Link, tenant=request.tenant, id=link_id)
    try:
        services.link_restore(tenant=request.tenant, link_id=link.id, by=request.user)
    except services.ActionRefused as exc:
        messages.error(request, exc.message)
        return _back_to_log(request)
    messages.success(request, _("Koblingen er gjenopprettet. Endringer synkroniseres igjen begge veier, og raden "
                                "sendes til Tripletex nå."))
    return _back_to_log(request)
