"""Pages for the commerce records, for managers and admins. They read forms and call the services."""
from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from integrations.connectors.inventory.selectors import invoice_sales_order
from integrations.connectors.invoices import ledger
from integrations.tripletex import TripletexError
from tenants.decorators import ADMIN, APPROVERS, tenant_required
from tenants.ids import posted_id, posted_ids

from . import selectors, services
from .forms import (
    ComponentFormSet, InvoiceForm, InvoiceLineFormSet, LedgerAccountForm, PaymentForm, PaymentTermsForm, ProductForm,
    PurchaseOrderForm, PurchaseOrderLineFormSet, SupplierForm, SupplierInvoiceForm,
)
from .models import Invoice, InvoiceJournal, LedgerAccount, PaymentTerms, Product, PurchaseOrder, Supplier
from .money import invoice_totals

PAGE_SIZE = 50
INVOICE_STATUSES = [("", gettext_lazy("Alle")), *Invoice.Status.choices, ("unpaid", gettext_lazy("Ubetalte"))]


def _search(request) -> str:
    # PostgreSQL text holds no NUL: a search carrying one would fail in the query.
    return (request.GET.get("q") or "").replace("\x00", "").strip()[:100]


def _list(request, *, template: str, rows, section: str, **context):
    q = _search(request)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("side"))
    return render(request, template, {
        "page": page, "q": q, "filter_query": urlencode({"q": q, **context.get("extra_query", {})}),
        "commerce": section, **context,
    })


def _saved(request, form: forms.Form, save: Callable[[], object], *formsets) -> bool:
    """Run `save` on a valid POST; a service's ValidationError lands in the form."""
    if request.method != "POST" or not form.is_valid() or not all(fs.is_valid() for fs in formsets):
        return False
    try:
        save()
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and all(f in form.fields for f in exc.error_dict):
            for field, errors in exc.error_dict.items():
                form.add_error(field, errors)
        else:
            form.add_error(None, exc.messages)
        return False
    return True


def _simple_form(request, *, form, save, section: str, title: str, back: str, success: str):
    if _saved(request, form, lambda: save(form.cleaned_data)):
        messages.success(request, success)
        return redirect(back)
    return render(request, "hr/register_form.html", {
        "commerce": section, "form": form, "title": title, "back_url": reverse(back),
    })


# --- products -----------------------------------------------------------------------------------------

@tenant_required(roles=APPROVERS)
def product_list(request):
    rows = selectors.product_list(tenant=request.tenant, q=_search(request))
    return _list(request, template="commerce/product_list.html", rows=rows, section="products")


def _product_form(request, product: Product | None):
    tenant = request.tenant
    instance = product or Product(tenant=tenant)
    form = ProductForm(request.POST or None, instance=instance)
    initial = [{"product": c.component_id, "quantity": c.quantity} for c in product.components.all()] if product else []
    components = ComponentFormSet(request.POST or None, initial=initial, tenant=tenant, prefix="parts")

    def save():
        parts = [(line["product"], line["quantity"]) for line in components.lines()]
        data = {k: v for k, v in form.cleaned_data.items() if k in services.PRODUCT_FIELDS}
        services.product_save(tenant=tenant, data=data, components=parts, product=product)

    if _saved(request, form, save, components):
        messages.success(request, _("Varen «%(name)s» er lagret.") % {"name": form.cleaned_data["name"]})
        return redirect("commerce:products")
    return render(request, "commerce/product_form.html", {
        "commerce": "products", "form": form, "components": components,
        "title": str(product) if product else _("Ny vare"), "back_url": reverse("commerce:products"),
    })


@tenant_required(roles=APPROVERS)
def product_create(request):
    return _product_form(request, None)


@tenant_required(roles=APPROVERS)
def product_edit(request, product_id: int):
    return _product_form(request, get_object_or_404(Product, pk=product_id, tenant=request.tenant))


# --- suppliers, payment terms, chart of accounts ----------------------------------------------------------

@tenant_required(roles=APPROVERS)
def supplier_list(request):
    rows = selectors.supplier_list(tenant=request.tenant, q=_search(request))
    return _list(request, template="commerce/supplier_list.html", rows=rows, section="suppliers")


def _supplier_form(request, supplier: Supplier | None):
    form = SupplierForm(request.POST or None, instance=supplier or Supplier(tenant=request.tenant))
    return _simple_form(
        request, form=form, section="suppliers", back="commerce:suppliers",
        save=lambda data: services.supplier_save(tenant=request.tenant, data=data, supplier=supplier),
        title=str(supplier) if supplier else _("Ny leverandør"),
        success=_("Leverandøren «%(name)s» er lagret.") % {"name": form.data.get("name", "")},
    )


@tenant_required(roles=APPROVERS)
def supplier_create(request):
    return _supplier_form(request, None)


@tenant_required(roles=APPROVERS)
def supplier_edit(request, supplier_id: int):
    return _supplier_form(request, get_object_or_404(Supplier, pk=supplier_id, tenant=request.tenant))


@tenant_required(roles=APPROVERS)
def payment_terms_list(request):
    rows = selectors.payment_terms_list(tenant=request.tenant)
    return _list(request, template="commerce/payment_terms_list.html", rows=rows, section="payment_terms")


def _terms_form(request, terms: PaymentTerms | None):
    form = PaymentTermsForm(request.POST or None, instance=terms or PaymentTerms(tenant=request.tenant))
    return _simple_form(
        request, form=form, section="payment_terms", back="commerce:payment_terms",
        save=lambda data: services.payment_terms_save(tenant=request.tenant, data=data, terms=terms),
        title=str(terms) if terms else _("Ny betalingsbetingelse"),
        success=_("Betalingsbetingelsen er lagret."),
    )


@tenant_required(roles=APPROVERS)
def payment_terms_create(request):
    return _terms_form(request, None)


@tenant_required(roles=APPROVERS)
def payment_terms_edit(request, terms_id: int):
    return _terms_form(request, get_object_or_404(PaymentTerms, pk=terms_id, tenant=request.tenant))


@tenant_required(roles=APPROVERS)
def ledger_account_list(request):
    rows = selectors.ledger_account_list(tenant=request.tenant)
    return _list(request, template="commerce/ledger_account_list.html", rows=rows, section="ledger_accounts")


def _account_form(request, account: LedgerAccount | None):
    form = LedgerAccountForm(request.POST or None, instance=account or LedgerAccount(tenant=request.tenant))
    return _simple_form(
        request, form=form, section="ledger_accounts", back="commerce:ledger_accounts",
        save=lambda data: services.ledger_account_save(tenant=request.tenant, data=data, account=account),
        title=str(account) if account else _("Ny konto"), success=_("Kontoen er lagret."),
    )


@tenant_required(roles=APPROVERS)
def ledger_account_create(request):
    return _account_form(request, None)


@tenant_required(roles=APPROVERS)
def ledger_account_edit(request, account_id: int):
    return _account_form(request, get_object_or_404(LedgerAccount, pk=account_id, tenant=request.tenant))


def _chart_or_message(request) -> tuple[list[dict] | None, str]:
    try:
        return ledger.tripletex_chart(tenant=request.tenant), ""
    except ledger.NotConnected:
        return None, _("Selskapet er ikke koblet til Tripletex. Koble til under Integrasjoner først.")
    except ledger.NotConfigured:
        return None, _("Tjenesten er ikke satt opp mot Tripletex ennå (TRIPLETEX_CONSUMER_TOKEN mangler). Si fra til "
                       "den som drifter GrønnJobb.")
    except TripletexError as exc:
        return None, _("Tripletex ga ikke ut kontoplanen: %(message)s") % {"message": exc.message}


@tenant_required(roles=ADMIN)
def ledger_matching(request):
    """Hovedbok: our accounts beside Tripletex's, with a suggestion to accept where one is not mapped."""
    chart, problem = _chart_or_message(request)
    rows = ledger.matching_rows(tenant=request.tenant, chart=chart) if chart is not None else []
    return render(request, "commerce/ledger_matching.html", {
        "commerce": "ledger_accounts", "rows": rows, "problem": problem, "chart": chart or [],
    })


@require_POST
@tenant_required(roles=ADMIN)
def ledger_account_match(request, account_id: int):
    account = get_object_or_404(LedgerAccount, pk=account_id, tenant=request.tenant)
    chart, problem = _chart_or_message(request)
    if chart is None:
        messages.error(request, problem)
        return redirect("commerce:ledger_matching")
    number = (request.POST.get("tripletex_number") or "").strip()[:10]
    try:
        ledger.ledger_account_match(tenant=request.tenant, account=account, tripletex_number=number, chart=chart)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Konto %(ours)s føres nå på konto %(theirs)s i Tripletex.")
                         % {"ours": account, "theirs": number})
    return redirect("commerce:ledger_matching")


# --- invoices -----------------------------------------------------------------------------------------

@tenant_required(roles=APPROVERS)
def invoice_list(request):
    status = request.GET.get("status", "")
    status = status if status in dict(INVOICE_STATUSES) else ""
    rows = selectors.invoice_list(tenant=request.tenant, q=_search(request), status=status)
    return _list(request, template="commerce/invoice_list.html", rows=rows, section="invoices",
                 statuses=INVOICE_STATUSES, status=status, extra_query={"status": status})


def _invoice_form(request, invoice: Invoice | None):
    tenant = request.tenant
    instance = invoice or Invoice(tenant=tenant, invoice_date=timezone.localdate())
    form = InvoiceForm(request.POST or None, instance=instance, tenant=tenant)
    initial = [
        {"product": line.product_id, "description": line.description, "quantity": line.quantity,
         "unit_price": line.unit_price, "vat_code": line.vat_code}
        for line in invoice.lines.all()
    ] if invoice else []
    lines = InvoiceLineFormSet(request.POST or None, initial=initial, tenant=tenant, prefix="lines")
    saved = {}

    def save():
        data = {k: v for k, v in form.cleaned_data.items() if k in services.INVOICE_FIELDS}
        saved["invoice"] = services.invoice_draft_save(tenant=tenant, data=data, lines=lines.lines(), invoice=invoice)

    if _saved(request, form, save, lines):
        messages.success(request, _("Fakturautkastet er lagret. Se over og utsted det når det er klart."))
        return redirect("commerce:invoice_detail", invoice_id=saved["invoice"].id)
    return render(request, "commerce/invoice_form.html", {
        "commerce": "invoices", "form": form, "lines": lines,
        "title": _("Endre fakturautkast") if invoice else _("Ny faktura"),
        "back_url": reverse("commerce:invoice_detail", args=[invoice.id]) if invoice else reverse("commerce:invoices"),
    })


@tenant_required(roles=APPROVERS)
def invoice_create(request):
    return _invoice_form(request, None)


@tenant_required(roles=APPROVERS)
def invoice_edit(request, invoice_id: int):
    invoice = get_object_or_404(Invoice, pk=invoice_id, tenant=request.tenant)
    if not invoice.is_draft:
        messages.error(request, _("En utstedt faktura kan ikke endres."))
        return redirect("commerce:invoice_detail", invoice_id=invoice.id)
    return _invoice_form(request, invoice)


@tenant_required(roles=APPROVERS)
def invoice_detail(request, invoice_id: int):
    invoice = get_object_or_404(
        selectors.with_paid(Invoice.objects.filter(tenant=request.tenant)).select_related(
            "customer", "project", "payment_terms", "credited_invoice"),
        pk=invoice_id,
    )
    lines = list(invoice.lines.select_related("product"))
    return render(request, "commerce/invoice_detail.html", {
        "commerce": "invoices", "invoice": invoice, "lines": lines,
        "totals": invoice_totals((line.vat_code, line.amount) for line in lines),
        "payments": invoice.payments.select_related("registered_by"),
        "sales_order": invoice_sales_order(tenant=request.tenant, invoice=invoice),
        "credit_note": invoice.credit_notes.first(),
    })


@require_POST
@tenant_required(roles=APPROVERS)
def invoice_issue(request, invoice_id: int):
    invoice = get_object_or_404(Invoice, pk=invoice_id, tenant=request.tenant)
    try:
        invoice = services.invoice_issue(tenant=request.tenant, invoice=invoice, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Faktura %(number)s er utstedt.") % {"number": invoice.number})
    return redirect("commerce:invoice_detail", invoice_id=invoice.id)


@require_POST
@tenant_required(roles=APPROVERS)
def invoice_credit(request, invoice_id: int):
    invoice = get_object_or_404(Invoice, pk=invoice_id, tenant=request.tenant)
    try:
        note = services.invoice_credit(tenant=request.tenant, invoice=invoice, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("commerce:invoice_detail", invoice_id=invoice.id)
    messages.success(request, _("%(note)s er laget og krediterer %(invoice)s.") % {"note": note, "invoice": invoice})
    return redirect("commerce:invoice_detail", invoice_id=note.id)


@tenant_required(roles=APPROVERS)
def invoice_pdf(request, invoice_id: int):
    invoice = get_object_or_404(Invoice, pk=invoice_id, tenant=request.tenant)
    if not invoice.pdf:
        raise Http404
    try:
        handle = invoice.pdf.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = "kreditnota" if invoice.is_credit_note else "faktura"
    return FileResponse(handle, content_type="application/pdf", filename=f"{name}-{invoice.number}.pdf")


# --- invoice journals ("bunter", seed 002) -------------------------------------------------------------

@tenant_required(roles=ADMIN)
def journal_list(request):
    tenant = request.tenant
    if request.method == "POST":
        ids = posted_ids(request.POST, "invoices")
        try:
            journal = services.invoice_journal_create(tenant=tenant, invoice_ids=ids, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("commerce:journals")
        messages.success(request, _("%(journal)s er laget med %(count)s fakturaer. Send den til Tripletex når du er "
                                    "klar.") % {"journal": journal, "count": len(ids)})
        return redirect("commerce:journal_detail", journal_id=journal.id)
    return render(request, "commerce/journal_list.html", {
        "commerce": "journals", "journals": selectors.journal_list(tenant=tenant),
        "loose": selectors.invoices_without_journal(tenant=tenant),
    })


@tenant_required(roles=ADMIN)
def journal_detail(request, journal_id: int):
    journal = get_object_or_404(InvoiceJournal.objects.select_related("run"), pk=journal_id, tenant=request.tenant)
    return render(request, "commerce/journal_detail.html", {
        "commerce": "journals", "journal": journal, "rows": selectors.journal_rows(journal=journal),
    })


@require_POST
@tenant_required(roles=ADMIN)
def journal_send(request, journal_id: int):
    from integrations.connectors.customer_import.journal import journal_send_request
    from integrations.connectors.services import ActionRefused

    journal = get_object_or_404(InvoiceJournal, pk=journal_id, tenant=request.tenant)
    try:
        run = journal_send_request(journal=journal, by=request.user)
    except ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        run.refresh_from_db(fields=["finished_at"])
        # A worker that was quick (or a task run in this request) has already put the result on the page.
        if run.finished_at is None:
            messages.success(request, _("%(journal)s sendes til Tripletex. Resultatet kommer her og i "
                                        "synkroniseringsloggen.") % {"journal": journal})
    return redirect("commerce:journal_detail", journal_id=journal.id)


# --- payments -----------------------------------------------------------------------------------------

@tenant_required(roles=APPROVERS)
def payment_list(request):
    rows = selectors.payment_list(tenant=request.tenant, q=_search(request))
    return _list(request, template="commerce/payment_list.html", rows=rows, section="payments")


@tenant_required(roles=APPROVERS)
def payment_create(request):
    tenant = request.tenant
    invoice = (
        Invoice.objects.filter(tenant=tenant, pk=posted_id(request.GET, "faktura"), status=Invoice.Status.ISSUED).first()
        if "faktura" in request.GET else None
    )
    initial = {"date": timezone.localdate()}
    if invoice is not None:
        initial["amount"] = services.invoice_outstanding(invoice)
    form = PaymentForm(request.POST or None, initial=initial, tenant=tenant, invoice=invoice)
    saved = {}

    def save():
        data = form.cleaned_data
        saved["payment"] = services.payment_register(
            tenant=tenant, invoice=data["invoice"], kid=data["kid"], date=data["date"], amount=data["amount"],
            by=request.user,
        )

    if _saved(request, form, save):
        payment = saved["payment"]
        messages.success(request, _("Innbetalingen på %(amount)s er registrert på %(invoice)s.") % {
            "amount": f"{payment.amount:.2f}", "invoice": payment.invoice})
        return redirect("commerce:invoice_detail", invoice_id=payment.invoice_id)
    return render(request, "hr/register_form.html", {
        "commerce": "payments", "form": form, "title": _("Registrer innbetaling"),
        "back_url": reverse("commerce:payments"),
    })


# --- purchase orders ----------------------------------------------------------------------------------

@tenant_required(roles=APPROVERS)
def purchase_order_list(request):
    rows = selectors.purchase_order_list(tenant=request.tenant, q=_search(request))
    return _list(request, template="commerce/purchase_order_list.html", rows=rows, section="purchase_orders")


@tenant_required(roles=APPROVERS)
def purchase_order_create(request):
    tenant = request.tenant
    form = PurchaseOrderForm(request.POST or None, initial={"order_date": timezone.localdate()}, tenant=tenant)
    lines = PurchaseOrderLineFormSet(request.POST or None, tenant=tenant, prefix="lines")
    saved = {}

    def save():
        saved["order"] = services.purchase_order_create(tenant=tenant, lines=lines.lines(), **form.cleaned_data)

    if _saved(request, form, save, lines):
        messages.success(request, _("%(order)s er opprettet.") % {"order": saved["order"]})
        return redirect("commerce:purchase_order_detail", order_id=saved["order"].id)
    return render(request, "commerce/purchase_order_form.html", {
        "commerce": "purchase_orders", "form": form, "lines": lines, "title": _("Ny innkjøpsordre"),
        "back_url": reverse("commerce:purchase_orders"),
    })


@tenant_required(roles=APPROVERS)
def purchase_order_detail(request, order_id: int):
    order = get_object_or_404(
        PurchaseOrder.objects.select_related("supplier", "project"), pk=order_id, tenant=request.tenant,
    )
    return render(request, "commerce/purchase_order_detail.html", {
        "commerce": "purchase_orders", "order": order, "lines": order.lines.select_related("product"),
        "supplier_invoices": order.supplier_invoices.all(),
    })


@tenant_required(roles=APPROVERS)
def purchase_order_supplier_invoice(request, order_id: int):
    """Register the supplier's invoice that pays this order; it is matched against the order in Tripletex."""
    order = get_object_or_404(PurchaseOrder.objects.select_related("supplier"), pk=order_id, tenant=request.tenant)
    form = SupplierInvoiceForm(request.POST or None, initial={"invoice_date": timezone.localdate()})
    saved = {}

    def save():
        saved["invoice"] = services.supplier_invoice_register(
            tenant=request.tenant, supplier=order.supplier, purchase_order=order, **form.cleaned_data)

    if _saved(request, form, save):
        messages.success(request, _("%(invoice)s er registrert.") % {"invoice": saved["invoice"]})
        return redirect("commerce:purchase_order_detail", order_id=order.id)
    return render(request, "hr/register_form.html", {
        "commerce": "purchase_orders", "form": form,
        "title": _("Leverandørfaktura for %(order)s") % {"order": order},
        "back_url": reverse("commerce:purchase_order_detail", args=[order.id]),
    })
