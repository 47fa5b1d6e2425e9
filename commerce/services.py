"""State changes of the commerce records. Pages, commands, the demo seed and (later) the API call these.

Issuing an invoice and registering a payment are the two changes Tripletex hears of: each records its
change for a switched-on connector in the same transaction (`local_change_record`).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Model, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hr.models import Customer, Project
from integrations.connectors.services import local_change_record
from tenants.models import Tenant, User

from . import kid as kids
from .models import (
    Invoice, InvoiceJournal, InvoiceLine, LedgerAccount, Payment, PaymentTerms, Product, ProductComponent,
    PurchaseOrder, PurchaseOrderLine, Supplier, SupplierInvoice,
)
from .money import VAT_RATES, invoice_totals, line_amount
from .pdf import invoice_pdf

# The outbox kinds of the invoice connector (`integrations.models.Link.Kind` values).
INVOICE_KIND = "invoice"
PAYMENT_KIND = "payment"
# … and of the inventory connector (seed 003).
PRODUCT_KIND = "product"
SUPPLIER_KIND = "supplier"
PURCHASE_ORDER_KIND = "purchase_order"
SUPPLIER_INVOICE_KIND = "supplier_invoice"


def _check_same_tenant(*, tenant: Tenant, **related: Model | None) -> None:
    for field, obj in related.items():
        if obj is not None and obj.tenant_id != tenant.id:
            raise ValidationError({field: _("Ukjent valg.")})


def _assign(instance: Model, data: dict[str, Any], allowed: tuple[str, ...]) -> bool:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"not fields of {type(instance).__name__}: {sorted(unknown)}")
    changed = False
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        try:
            current = getattr(instance, name)
        except ObjectDoesNotExist:  # a required relation not set yet on a new row
            current = None
        if current != value:
            setattr(instance, name, value)
            changed = True
    return changed


def _save_unique(instance: Model, *, field: str, message: str) -> None:
    """Save; a number another row of the company already has is the form's error, not a 500."""
    instance.full_clean(exclude=["tenant"], validate_constraints=False)
    model = type(instance)
    if model.objects.filter(tenant=instance.tenant, **{field: getattr(instance, field)}).exclude(
        pk=instance.pk
    ).exists():
        raise ValidationError({field: message})
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ValidationError({field: message}) from exc


# --- products ------------------------------------------------------------------------------------------

PRODUCT_FIELDS = ("number", "name", "unit", "sales_price", "cost_price", "vat_code", "active")


@transaction.atomic
def product_save(
    *, tenant: Tenant, data: dict[str, Any], components: list[tuple[Product, Decimal]] | None = None,
    product: Product | None = None,
) -> Product:
    """Create (no `product`) or change a product; `components` (product, quantity) make it a bundle."""
    product = product or Product(tenant=tenant)
    changed = _assign(product, data, PRODUCT_FIELDS) or product.pk is None
    for field in ("sales_price", "cost_price"):
        if getattr(product, field) is not None and getattr(product, field) < 0:
            raise ValidationError({field: _("Prisen kan ikke være negativ.")})
    _save_unique(product, field="number", message=_("Varenummeret er allerede i bruk."))
    if components is not None:
        _components_set(tenant=tenant, product=product, components=components)
    if changed or components is not None:
        _product_record(tenant=tenant, product=product)
    return product


def _product_record(*, tenant: Tenant, product: Product) -> None:
    """Queue the product for Tripletex, and every bundle it is part of: a bundle's price there is its parts'."""
    local_change_record(tenant=tenant, kind=PRODUCT_KIND, local_id=product.id,
                        snapshot={"label": str(product), "number": product.number})
    for bundle in Product.objects.filter(tenant=tenant, components__component=product).distinct():
        local_change_record(tenant=tenant, kind=PRODUCT_KIND, local_id=bundle.id,
                            snapshot={"label": str(bundle), "number": bundle.number})


def _components_set(*, tenant: Tenant, product: Product, components: list[tuple[Product, Decimal]]) -> None:
    seen = set()
    for part, quantity in components:
        _check_same_tenant(tenant=tenant, component=part)
        if part.pk == product.pk:
            raise ValidationError(_("En pakke kan ikke inneholde seg selv."))
        if part.pk in seen:
            raise ValidationError(_("«%(name)s» står to ganger i pakken. Slå linjene sammen.") % {"name": part})
        if part.components.exists():
            raise ValidationError(
                _("«%(name)s» er selv en pakke; en pakke kan ikke inneholde pakker.") % {"name": part})
        if quantity is None or quantity <= 0:
            raise ValidationError(_("Antallet i en pakke må være større enn null."))
        seen.add(part.pk)
    if components and product.in_bundles.exists():
        raise ValidationError(_("Varen er del av en annen pakke og kan ikke selv være en pakke."))
    ProductComponent.objects.filter(tenant=tenant, bundle=product).delete()
    ProductComponent.objects.bulk_create([
        ProductComponent(tenant=tenant, bundle=product, component=part, quantity=quantity)
        for part, quantity in components
    ])


# --- suppliers, payment terms, accounts ------------------------------------------------------------------

SUPPLIER_FIELDS = ("supplier_number", "name", "org_number", "email", "phone", "address", "postal_code", "city")


@transaction.atomic
def supplier_save(*, tenant: Tenant, data: dict[str, Any], supplier: Supplier | None = None) -> Supplier:
    supplier = supplier or Supplier(tenant=tenant)
    changed = _assign(supplier, data, SUPPLIER_FIELDS) or supplier.pk is None
    if supplier.org_number:
        supplier.org_number = "".join(supplier.org_number.split())
    _save_unique(supplier, field="supplier_number", message=_("Leverandørnummeret er allerede i bruk."))
    if changed:
        local_change_record(tenant=tenant, kind=SUPPLIER_KIND, local_id=supplier.id,
                            snapshot={"label": str(supplier), "number": supplier.supplier_number})
    return supplier


@transaction.atomic
def payment_terms_save(*, tenant: Tenant, data: dict[str, Any], terms: PaymentTerms | None = None) -> PaymentTerms:
    terms = terms or PaymentTerms(tenant=tenant)
    _assign(terms, data, ("name", "days"))
    _save_unique(terms, field="days", message=_("Det finnes allerede en betalingsbetingelse med så mange dager."))
    return terms


LEDGER_ACCOUNT_FIELDS = ("number", "name", "role", "vat_code", "tripletex_number")


@transaction.atomic
def ledger_account_save(
    *, tenant: Tenant, data: dict[str, Any], account: LedgerAccount | None = None,
) -> LedgerAccount:
    """Our account and the Tripletex account it posts to; one account per use and VAT code."""
    account = account or LedgerAccount(tenant=tenant)
    _assign(account, data, LEDGER_ACCOUNT_FIELDS)
    for field in ("number", "tripletex_number"):
        value = getattr(account, field)
        if value and not (value.isascii() and value.isdigit()):
            raise ValidationError({field: _("Et kontonummer består av sifre.")})
    if LedgerAccount.objects.filter(tenant=tenant, role=account.role, vat_code=account.vat_code).exclude(
        pk=account.pk
    ).exists():
        raise ValidationError({"vat_code": _("Det finnes allerede en konto for denne bruken og mva-koden.")})
    _save_unique(account, field="number", message=_("Kontonummeret er allerede i kontoplanen."))
    return account


# --- invoices ------------------------------------------------------------------------------------------

INVOICE_FIELDS = (
    "invoice_date", "order_number", "order_date", "customer", "department_number", "project", "currency",
    "delivery_date", "payment_terms", "comment",
)


def _lines_build(*, tenant: Tenant, lines: list[dict[str, Any]], model: type) -> list:
    built = []
    for position, line in enumerate(lines, start=1):
        product = line.get("product")
        _check_same_tenant(tenant=tenant, product=product)
        quantity = line["quantity"]
        if quantity is None or quantity == 0:
            raise ValidationError(_("Linje %(n)d: antallet kan ikke være null.") % {"n": position})
        description = (line.get("description") or "").strip() or (product.name if product else "")
        if not description:
            raise ValidationError(_("Linje %(n)d mangler beskrivelse.") % {"n": position})
        price_field = "unit_price" if model is InvoiceLine else "unit_cost"
        price = line.get(price_field)
        if price is None and product is not None:
            price = product.sales_price if model is InvoiceLine else product.cost_price
        if price is None:
            raise ValidationError(_("Linje %(n)d mangler pris.") % {"n": position})
        values = {"description": description[:300], "product": product, "quantity": quantity, price_field: price,
                  "amount": line_amount(unit_price=price, quantity=quantity)}
        if model is InvoiceLine:
            vat_code = line.get("vat_code") or (product.vat_code if product else "")
            if vat_code not in VAT_RATES:
                raise ValidationError(_("Linje %(n)d har ukjent mva-kode.") % {"n": position})
            values["vat_code"] = vat_code
        built.append(model(tenant=tenant, position=position, **values))
    return built


@transaction.atomic
def invoice_draft_save(
    *, tenant: Tenant, data: dict[str, Any], lines: list[dict[str, Any]], invoice: Invoice | None = None,
) -> Invoice:
    """Create or change a draft with its lines; each line: description, product, unit_price, quantity, vat_code."""
    if invoice is not None:
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk, tenant=tenant)
        if not invoice.is_draft:
            raise ValidationError(_("En utstedt faktura kan ikke endres."))
    invoice = invoice or Invoice(tenant=tenant)
    _assign(invoice, data, INVOICE_FIELDS)
    _check_same_tenant(tenant=tenant, customer=invoice.customer, project=invoice.project,
                       payment_terms=invoice.payment_terms)
    invoice.currency = (invoice.currency or "NOK").upper()
    if not (len(invoice.currency) == 3 and invoice.currency.isascii() and invoice.currency.isalpha()):
        raise ValidationError({"currency": _("Valuta skrives som en valutakode på tre bokstaver, for eksempel NOK.")})
    if invoice.customer.status == Customer.Status.DELETED:
        raise ValidationError({"customer": _("Kunden er slettet.")})
    if invoice.project is not None and invoice.project.status == Project.Status.DELETED:
        raise ValidationError({"project": _("Prosjektet er slettet.")})
    if not lines:
        raise ValidationError(_("En faktura må ha minst én linje."))
    built = _lines_build(tenant=tenant, lines=lines, model=InvoiceLine)
    totals = invoice_totals((line.vat_code, line.amount) for line in built)
    invoice.amount_net, invoice.amount_vat, invoice.amount_gross = totals.net, totals.vat, totals.gross
    invoice.full_clean(exclude=["tenant", "pdf"], validate_constraints=False)
    invoice.save()
    InvoiceLine.objects.filter(tenant=tenant, invoice=invoice).delete()
    for line in built:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(built)
    return invoice


def _due_date(invoice: Invoice) -> dt.date:
    days = invoice.payment_terms.days if invoice.payment_terms_id else invoice.customer.payment_terms_days
    return invoice.invoice_date + dt.timedelta(days=days)


@transaction.atomic
def invoice_issue(*, tenant: Tenant, invoice: Invoice, by: User | None) -> Invoice:
    """Draft → issued: the next number, its KID, the due date, the totals and the PDF, all at once.

    Numbers follow each other without gaps per company (bokføringsforskriften); the company row is
    locked while the next one is taken, so two issues at once cannot take the same number.
    """
    Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True).get()
    # Only the invoice row is locked: PostgreSQL refuses FOR UPDATE on the nullable side of the joins.
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related(
        "customer", "project", "payment_terms").get(pk=invoice.pk, tenant=tenant)
    if not invoice.is_draft:
        raise ValidationError(_("Fakturaen er allerede utstedt."))
    lines = list(InvoiceLine.objects.filter(tenant=tenant, invoice=invoice))
    if not lines:
        raise ValidationError(_("En faktura må ha minst én linje."))
    totals = invoice_totals((line.vat_code, line.amount) for line in lines)
    if totals.gross <= 0:
        raise ValidationError(_("Fakturaen må være på et beløp over null. En utstedt faktura rettes med "
                                "«Krediter» på fakturaen."))
    number = _next_number(tenant)
    invoice.status = Invoice.Status.ISSUED
    invoice.number = number
    invoice.kid = kids.kid_for_invoice(number)
    invoice.due_date = _due_date(invoice)
    invoice.amount_net, invoice.amount_vat, invoice.amount_gross = totals.net, totals.vat, totals.gross
    invoice.issued_at, invoice.issued_by = timezone.now(), by
    with translation.override("nb"):
        content = invoice_pdf(invoice, lines=lines)
    invoice.pdf.save(f"faktura-{number}.pdf", ContentFile(content), save=False)
    # The file is written before the row commits; a rollback leaves an orphan file, never a row without its PDF.
    invoice.save()
    local_change_record(tenant=tenant, kind=INVOICE_KIND, local_id=invoice.id,
                        snapshot={"label": str(invoice), "number": str(number)})
    return invoice


def _next_number(tenant: Tenant) -> int:
    # The caller holds the company row's lock, so no other issue takes the same number.
    return (Invoice.objects.filter(tenant=tenant).aggregate(n=Max("number"))["n"] or 0) + 1


@transaction.atomic
def invoice_credit(*, tenant: Tenant, invoice: Invoice, by: User | None, day: dt.date | None = None) -> Invoice:
    """A credit note (kreditnota) for the whole of an issued invoice: its lines with the quantities negated,
    the next number in the invoice series, its own PDF, no KID (nothing is to be paid). An invoice is
    credited once; the connector then reverses the invoice's voucher in Tripletex."""
    Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True).get()
    original = Invoice.objects.select_for_update(of=("self",)).select_related(
        "customer", "project", "payment_terms").get(pk=invoice.pk, tenant=tenant)
    if original.is_draft:
        raise ValidationError(_("Bare en utstedt faktura kan krediteres."))
    if original.is_credit_note:
        raise ValidationError(_("En kreditnota kan ikke krediteres."))
    earlier = Invoice.objects.filter(tenant=tenant, credited_invoice=original).first()
    if earlier is not None:
        raise ValidationError(_("Fakturaen er allerede kreditert med %(note)s.") % {"note": earlier})
    day = day or timezone.localdate()
    if day < original.invoice_date:
        raise ValidationError(_("Kreditnotaen kan ikke dateres før fakturaen (%(date)s).")
                              % {"date": original.invoice_date.strftime("%d.%m.%Y")})
    lines = [InvoiceLine(tenant=tenant, position=line.position, description=line.description, product=line.product,
                         unit_price=line.unit_price, quantity=-line.quantity, vat_code=line.vat_code,
                         amount=line_amount(unit_price=line.unit_price, quantity=-line.quantity))
             for line in original.lines.all()]
    totals = invoice_totals((line.vat_code, line.amount) for line in lines)
    number = _next_number(tenant)
    note = Invoice(
        tenant=tenant, status=Invoice.Status.ISSUED, number=number, invoice_date=day, due_date=day,
        order_number=original.order_number, order_date=original.order_date, customer=original.customer,
        department_number=original.department_number, project=original.project, currency=original.currency,
        delivery_date=original.delivery_date, payment_terms=original.payment_terms, credited_invoice=original,
        comment=_("Krediterer faktura %(number)s av %(date)s.") % {
            "number": original.number, "date": original.invoice_date.strftime("%d.%m.%Y")},
        amount_net=totals.net, amount_vat=totals.vat, amount_gross=totals.gross, issued_at=timezone.now(),
        issued_by=by,
    )
    note.save()
    for line in lines:
        line.invoice = note
    InvoiceLine.objects.bulk_create(lines)
    with translation.override("nb"):
        content = invoice_pdf(note, lines=lines)
    note.pdf.save(f"kreditnota-{number}.pdf", ContentFile(content), save=False)
    note.save(update_fields=["pdf", "updated_at"])
    local_change_record(tenant=tenant, kind=INVOICE_KIND, local_id=note.id,
                        snapshot={"label": str(note), "number": str(number)})
    return note


@transaction.atomic
def invoice_journal_create(
    *, tenant: Tenant, invoice_ids: list[int], by: User | None, day: dt.date | None = None,
) -> InvoiceJournal:
    """A journal ("bunt", seed 002) of issued invoices that are in no journal yet."""
    Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True).get()
    invoices = Invoice.objects.select_for_update().filter(tenant=tenant, id__in=invoice_ids)
    if not invoice_ids or len(invoices) != len(set(invoice_ids)):
        raise ValidationError(_("Velg minst én utstedt faktura."))
    if any(i.is_draft for i in invoices):
        raise ValidationError(_("Bare utstedte fakturaer kan legges i en bunt."))
    taken = [str(i) for i in invoices if i.journal_id is not None]
    if taken:
        raise ValidationError(_("Allerede i en bunt: %(invoices)s.") % {"invoices": ", ".join(taken)})
    number = (InvoiceJournal.objects.filter(tenant=tenant).aggregate(n=Max("number"))["n"] or 0) + 1
    journal = InvoiceJournal.objects.create(tenant=tenant, number=number, day=day, created_by=by)
    invoices.update(journal=journal)
    return journal


def invoice_journals_daily(*, tenant: Tenant, today: dt.date) -> list[InvoiceJournal]:
    """One journal per past day of the invoices issued that day and not put in a journal by hand."""
    loose = Invoice.objects.filter(tenant=tenant, status=Invoice.Status.ISSUED, journal__isnull=True,
                                   issued_at__isnull=False)
    days: dict[dt.date, list[int]] = {}
    for invoice_id, issued_at in loose.values_list("id", "issued_at"):
        day = timezone.localdate(issued_at)
        if day < today:
            days.setdefault(day, []).append(invoice_id)
    journals = []
    for day, ids in sorted(days.items()):
        existing = InvoiceJournal.objects.filter(tenant=tenant, day=day).first()
        if existing is not None:
            Invoice.objects.filter(tenant=tenant, id__in=ids).update(journal=existing)
            journals.append(existing)
        else:
            journals.append(invoice_journal_create(tenant=tenant, invoice_ids=ids, by=None, day=day))
    return journals


def invoice_outstanding(invoice: Invoice) -> Decimal:
    paid = Payment.objects.filter(tenant_id=invoice.tenant_id, invoice=invoice).aggregate(s=Sum("amount"))["s"]
    credited = Invoice.objects.filter(tenant_id=invoice.tenant_id, credited_invoice=invoice).aggregate(
        s=Sum("amount_gross"))["s"]
    return invoice.amount_gross + (credited or Decimal("0")) - (paid or Decimal("0"))


# --- payments -----------------------------------------------------------------------------------------

@transaction.atomic
def payment_register(
    *, tenant: Tenant, date: dt.date, amount: Decimal, by: User | None, invoice: Invoice | None = None,
    kid: str = "",
) -> Payment:
    """A payment on an issued invoice: by KID (from the bank's OCR file, or typed) or by hand on the invoice."""
    kid = kids.normalise(kid)
    if kid:
        if not kids.is_valid_kid(kid):
            raise ValidationError({"kid": _("KID-en er ikke gyldig: kontrollsifferet stemmer ikke.")})
        found = Invoice.objects.filter(tenant=tenant, kid=kid, status=Invoice.Status.ISSUED).first()
        if found is None:
            raise ValidationError({"kid": _("Ingen utstedt faktura har denne KID-en.")})
        if invoice is not None and invoice.pk != found.pk:
            raise ValidationError({"kid": _("KID-en hører til en annen faktura.")})
        invoice, source = found, Payment.Source.KID
    else:
        if invoice is None:
            raise ValidationError({"invoice": _("Velg fakturaen, eller oppgi KID.")})
        source = Payment.Source.MANUAL
    _check_same_tenant(tenant=tenant, invoice=invoice)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk, tenant=tenant)
    if invoice.is_draft:
        raise ValidationError({"invoice": _("Et fakturautkast kan ikke betales; utsted fakturaen først.")})
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Beløpet må være større enn null.")})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": _("Beløpet kan ha høyst to desimaler.")})
    outstanding = invoice_outstanding(invoice)
    if amount > outstanding:
        raise ValidationError({"amount": _("Beløpet er større enn det som gjenstår på fakturaen (%(rest)s).")
                               % {"rest": f"{outstanding:.2f}"}})
    if date < invoice.invoice_date:
        raise ValidationError({"date": _("Betalingsdatoen kan ikke være før fakturadatoen.")})
    payment = Payment.objects.create(tenant=tenant, invoice=invoice, date=date, amount=amount, source=source,
                                     kid=kid, registered_by=by)
    local_change_record(tenant=tenant, kind=PAYMENT_KIND, local_id=payment.id,
                        snapshot={"label": _("Innbetaling på %(invoice)s") % {"invoice": invoice}})
    return payment


# --- purchase orders ----------------------------------------------------------------------------------

@transaction.atomic
def purchase_order_create(
    *, tenant: Tenant, supplier: Supplier, order_date: dt.date, lines: list[dict[str, Any]],
    project: Project | None = None, delivery_date: dt.date | None = None, comment: str = "",
) -> PurchaseOrder:
    _check_same_tenant(tenant=tenant, supplier=supplier, project=project)
    if not lines:
        raise ValidationError(_("En innkjøpsordre må ha minst én linje."))
    if delivery_date and delivery_date < order_date:
        raise ValidationError({"delivery_date": _("Leveringsdatoen kan ikke være før ordredatoen.")})
    built = _lines_build(tenant=tenant, lines=lines, model=PurchaseOrderLine)
    Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True).get()
    number = (PurchaseOrder.objects.filter(tenant=tenant).aggregate(n=Max("number"))["n"] or 0) + 1
    order = PurchaseOrder.objects.create(tenant=tenant, number=number, supplier=supplier, project=project,
                                         order_date=order_date, delivery_date=delivery_date, comment=comment.strip())
    for line in built:
        line.order = order
    PurchaseOrderLine.objects.bulk_create(built)
    local_change_record(tenant=tenant, kind=PURCHASE_ORDER_KIND, local_id=order.id, snapshot={"label": str(order)})
    return order


# --- supplier invoices ---------------------------------------------------------------------------------

@transaction.atomic
def supplier_invoice_register(
    *, tenant: Tenant, supplier: Supplier, invoice_number: str, invoice_date: dt.date, amount_net: Decimal,
    vat_code: str, due_date: dt.date | None = None, purchase_order: PurchaseOrder | None = None,
) -> SupplierInvoice:
    """A supplier's invoice, with the purchase order it pays if any; VAT and total from the net amount."""
    _check_same_tenant(tenant=tenant, supplier=supplier, purchase_order=purchase_order)
    invoice_number = (invoice_number or "").strip()
    if not invoice_number:
        raise ValidationError({"invoice_number": _("Oppgi leverandørens fakturanummer.")})
    if amount_net is None or amount_net <= 0:
        raise ValidationError({"amount_net": _("Beløpet må være større enn null.")})
    if amount_net != amount_net.quantize(Decimal("0.01")):
        raise ValidationError({"amount_net": _("Beløpet kan ha høyst to desimaler.")})
    if vat_code not in VAT_RATES:
        raise ValidationError({"vat_code": _("Ukjent mva-kode.")})
    if due_date and due_date < invoice_date:
        raise ValidationError({"due_date": _("Forfallsdatoen kan ikke være før fakturadatoen.")})
    if purchase_order is not None and purchase_order.supplier_id != supplier.id:
        raise ValidationError({"purchase_order": _("Innkjøpsordren er til en annen leverandør.")})
    if SupplierInvoice.objects.filter(tenant=tenant, supplier=supplier, invoice_number=invoice_number).exists():
        raise ValidationError({"invoice_number": _("Denne fakturaen fra leverandøren er allerede registrert.")})
    totals = invoice_totals([(vat_code, amount_net)])
    try:
        with transaction.atomic():
            invoice = SupplierInvoice.objects.create(
                tenant=tenant, supplier=supplier, invoice_number=invoice_number, invoice_date=invoice_date,
                due_date=due_date, vat_code=vat_code, amount_net=totals.net, amount_vat=totals.vat,
                amount_gross=totals.gross, purchase_order=purchase_order)
    except IntegrityError as exc:  # registered at the same moment by someone else
        taken = _("Denne fakturaen fra leverandøren er allerede registrert.")
        raise ValidationError({"invoice_number": taken}) from exc
    local_change_record(tenant=tenant, kind=SUPPLIER_INVOICE_KIND, local_id=invoice.id,
                        snapshot={"label": str(invoice)})
    return invoice
