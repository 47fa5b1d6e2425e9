"""Reads for the commerce pages."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from tenants.models import Tenant

from .models import Invoice, InvoiceJournal, LedgerAccount, Payment, PaymentTerms, Product, PurchaseOrder, Supplier


def _search(qs: QuerySet, q: str, fields: tuple[str, ...]) -> QuerySet:
    """Every word must be found in one of `fields`."""
    for word in q.split():
        match = Q()
        for field in fields:
            match |= Q(**{f"{field}__icontains": word})
        qs = qs.filter(match)
    return qs


def product_list(*, tenant: Tenant, q: str = "") -> QuerySet[Product]:
    return _search(Product.objects.filter(tenant=tenant), q, ("number", "name")).order_by("number", "id")


def supplier_list(*, tenant: Tenant, q: str = "") -> QuerySet[Supplier]:
    qs = Supplier.objects.filter(tenant=tenant)
    return _search(qs, q, ("supplier_number", "name", "org_number", "city")).order_by("name", "id")


def payment_terms_list(*, tenant: Tenant) -> QuerySet[PaymentTerms]:
    return PaymentTerms.objects.filter(tenant=tenant).order_by("days", "name")


def with_paid(qs: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Each invoice with `paid` (sum of its payments), `credited` (its credit note's negative total) and
    `outstanding`, in one query."""
    money = DecimalField(max_digits=14, decimal_places=2)
    # An invoice has at most one credit note, so joining it does not repeat the payments being summed.
    return qs.annotate(
        paid=Coalesce(Sum("payments__amount"), Value(Decimal("0")), output_field=money),
        credited=Coalesce(Sum("credit_notes__amount_gross"), Value(Decimal("0")), output_field=money),
    ).annotate(outstanding=F("amount_gross") + F("credited") - F("paid"))


def invoice_list(*, tenant: Tenant, q: str = "", status: str = "") -> QuerySet[Invoice]:
    """status: "" all, "draft", "issued", or "unpaid" (issued with something left to pay)."""
    qs = with_paid(Invoice.objects.filter(tenant=tenant).select_related("customer", "project"))
    if status in Invoice.Status.values:
        qs = qs.filter(status=status)
    elif status == "unpaid":
        qs = qs.filter(status=Invoice.Status.ISSUED, outstanding__gt=0)
    qs = _search(qs, q, ("number", "kid", "customer__name", "customer__customer_number", "order_number",
                         "project__number"))
    return qs.order_by("-invoice_date", "-number", "-id")


def payment_list(*, tenant: Tenant, q: str = "") -> QuerySet[Payment]:
    qs = Payment.objects.filter(tenant=tenant).select_related("invoice", "invoice__customer")
    return _search(qs, q, ("kid", "invoice__number", "invoice__customer__name")).order_by("-date", "-id")


def purchase_order_list(*, tenant: Tenant, q: str = "") -> QuerySet[PurchaseOrder]:
    qs = PurchaseOrder.objects.filter(tenant=tenant).select_related("supplier", "project")
    qs = _search(qs, q, ("number", "supplier__name", "project__number", "project__name"))
    money = DecimalField(max_digits=14, decimal_places=2)
    return qs.annotate(sum=Coalesce(Sum("lines__amount"), Value(Decimal("0")), output_field=money)).order_by("-number")


def ledger_account_list(*, tenant: Tenant) -> QuerySet[LedgerAccount]:
    return LedgerAccount.objects.filter(tenant=tenant).order_by("number", "id")


def journal_list(*, tenant: Tenant) -> QuerySet[InvoiceJournal]:
    return InvoiceJournal.objects.filter(tenant=tenant).annotate(invoice_count=Count("invoices")).order_by("-number")


def invoices_without_journal(*, tenant: Tenant) -> QuerySet[Invoice]:
    """Issued invoices an admin may put in a journal ("bunt")."""
    return Invoice.objects.filter(tenant=tenant, status=Invoice.Status.ISSUED, journal__isnull=True).select_related(
        "customer").order_by("number")


@dataclass
class JournalRow:
    invoice: Invoice
    # Tripletex's invoice number and KID once it is there (shown when they differ from ours).
    tripletex_number: str
    tripletex_kid: str
    # The journal's last send: sent, already there or failed, with Tripletex's words.
    record: object | None

    @property
    def result(self) -> str:
        """The last send's outcome for this invoice in the journal's words (the log's are about records)."""
        if self.record is None:
            return ""
        words = {"created": gettext("Sendt"), "unchanged": gettext("Fantes allerede"),
                 "failed": gettext("Ikke sendt")}
        return words.get(self.record.action) or self.record.get_action_display()

    @property
    def numbers_differ(self) -> bool:
        return bool(self.tripletex_number) and self.tripletex_number != str(self.invoice.number)


def journal_rows(*, journal: InvoiceJournal) -> list[JournalRow]:
    from integrations.models import Connection, Link, SyncRecord

    invoices = list(journal.invoices.select_related("customer").order_by("number"))
    connection = Connection.objects.filter(tenant_id=journal.tenant_id).first()
    links = {}
    if connection is not None and connection.tripletex_company_id:
        links = {link.local_id: link for link in Link.objects.filter(
            tenant_id=journal.tenant_id, tripletex_company_id=connection.tripletex_company_id, kind=Link.Kind.INVOICE,
            local_id__in=[i.id for i in invoices])}
    records = {}
    if journal.run_id:
        records = {r.local_id: r for r in SyncRecord.objects.filter(run_id=journal.run_id, object_kind="invoice")}
    rows = []
    for invoice in invoices:
        values = links[invoice.id].synced_values if invoice.id in links else {}
        rows.append(JournalRow(invoice=invoice, tripletex_number=str(values.get("invoice_number") or ""),
                               tripletex_kid=str(values.get("kid") or ""), record=records.get(invoice.id)))
    return rows
