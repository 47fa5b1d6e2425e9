"""What a company buys and sells: products, suppliers, payment terms, invoices with their PDF, payments,
purchase orders, and how its chart of accounts maps onto Tripletex's."""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tenants.models import TenantOwned

from .money import VatCode

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 12, "decimal_places": 3}


class Product(TenantOwned):
    number = models.CharField(_("varenummer"), max_length=50)
    name = models.CharField(_("navn"), max_length=200)
    unit = models.CharField(_("enhet"), max_length=20, default="stk")
    sales_price = models.DecimalField(_("salgspris eks. mva"), default=Decimal("0"), **MONEY)
    cost_price = models.DecimalField(_("innkjøpspris eks. mva"), default=Decimal("0"), **MONEY)
    vat_code = models.CharField(_("mva-kode"), max_length=4, choices=VatCode.choices, default=VatCode.HIGH)
    active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("vare")
        verbose_name_plural = _("varer")
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="product_number_unique_per_tenant")]

    def __str__(self):
        return f"{self.number} {self.name}"

    @property
    def is_bundle(self) -> bool:
        return self.components.exists()


class ProductComponent(TenantOwned):
    """One product in a bundle (a "pakke"): the bundle is sold as one line, its parts are counted here."""

    bundle = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="in_bundles",
                                  verbose_name=_("vare"))
    quantity = models.DecimalField(_("antall"), validators=[MinValueValidator(Decimal("0.001"))], **QUANTITY)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "component"], name="product_component_unique"),
            models.CheckConstraint(condition=~models.Q(bundle=models.F("component")), name="product_not_own_component"),
        ]


class Supplier(TenantOwned):
    supplier_number = models.CharField(_("leverandørnummer"), max_length=50)
    name = models.CharField(_("navn"), max_length=200)
    org_number = models.CharField(_("organisasjonsnummer"), max_length=20, blank=True)
    email = models.EmailField(_("e-post"), blank=True)
    phone = models.CharField(_("telefon"), max_length=50, blank=True)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("postnummer"), max_length=10, blank=True)
    city = models.CharField(_("poststed"), max_length=100, blank=True)
    # ISO 3166 alpha-2, as Tripletex's postal address gives it.
    country = models.CharField(_("land"), max_length=2, blank=True)
    currency = models.CharField(_("valuta"), max_length=3, default="NOK")

    class Meta:
        ordering = ["name"]
        verbose_name = _("leverandør")
        verbose_name_plural = _("leverandører")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "supplier_number"], name="supplier_number_unique_per_tenant"),
        ]

    def __str__(self):
        return self.name


class PaymentTerms(TenantOwned):
    name = models.CharField(_("navn"), max_length=100)
    days = models.PositiveIntegerField(_("dager"))

    class Meta:
        ordering = ["days", "name"]
        verbose_name = _("betalingsbetingelse")
        verbose_name_plural = _("betalingsbetingelser")
        constraints = [models.UniqueConstraint(fields=["tenant", "days"], name="payment_terms_days_unique")]

    def __str__(self):
        return self.name


def _pdf_path(invoice: Invoice, filename: str) -> str:
    # Per company, never under a public URL: the PDF is served only by the download view, to its managers.
    return f"invoices/{invoice.tenant_id}/{filename}"


class InvoiceJournal(TenantOwned):
    """A journal ("bunt", seed 002): issued invoices sent together to Tripletex as invoiced orders."""

    class Status(models.TextChoices):
        OPEN = "open", _("Ikke sendt")
        SENDING = "sending", _("Sendes")
        SENT = "sent", _("Sendt")
        FAILED = "failed", _("Sendt med feil")

    number = models.PositiveIntegerField(_("buntnummer"))
    # The day whose invoices an automatic journal holds; empty for one an admin put together.
    day = models.DateField(_("dag"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # The last send: its log says, per invoice, sent, already there or failed with Tripletex's words.
    run = models.ForeignKey("integrations.SyncRun", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")

    class Meta:
        ordering = ["-number"]
        verbose_name = _("fakturabunt")
        verbose_name_plural = _("fakturabunter")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="invoice_journal_number_unique"),
            models.UniqueConstraint(fields=["tenant", "day"], name="invoice_journal_day_unique"),
        ]

    def __str__(self):
        return gettext("Bunt %(number)s") % {"number": self.number}


class Invoice(TenantOwned):
    """An outgoing invoice. A draft may change; issuing numbers it, fixes its totals and makes its PDF,
    and from then on nothing on it changes: a credit note (kreditnota) corrects it. A credit note is an
    invoice row too, numbered in the same series, with the credited invoice's lines negated."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Utkast")
        ISSUED = "issued", _("Utstedt")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    number = models.PositiveIntegerField(_("fakturanummer"), null=True, blank=True)
    invoice_date = models.DateField(_("fakturadato"))
    due_date = models.DateField(_("forfallsdato"), null=True, blank=True)
    kid = models.CharField(_("KID"), max_length=25, blank=True)
    order_number = models.CharField(_("ordrenummer"), max_length=50, blank=True)
    order_date = models.DateField(_("ordredato"), null=True, blank=True)
    customer = models.ForeignKey("hr.Customer", on_delete=models.PROTECT, related_name="invoices",
                                 verbose_name=_("kunde"))
    department_number = models.CharField(_("avdelingsnummer"), max_length=20, blank=True)
    project = models.ForeignKey("hr.Project", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="invoices", verbose_name=_("prosjekt"))
    currency = models.CharField(_("valuta"), max_length=3, default="NOK")
    delivery_date = models.DateField(_("leveringsdato"), null=True, blank=True)
    payment_terms = models.ForeignKey(PaymentTerms, null=True, blank=True, on_delete=models.PROTECT,
                                      verbose_name=_("betalingsbetingelse"))
    comment = models.CharField(_("kommentar"), max_length=500, blank=True)
    amount_net = models.DecimalField(_("sum eks. mva"), default=Decimal("0"), **MONEY)
    amount_vat = models.DecimalField(_("mva"), default=Decimal("0"), **MONEY)
    amount_gross = models.DecimalField(_("å betale"), default=Decimal("0"), **MONEY)
    pdf = models.FileField(_("PDF"), upload_to=_pdf_path, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    journal = models.ForeignKey(InvoiceJournal, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="invoices", verbose_name=_("bunt"))
    # Set (and committed) before its order is created in Tripletex: if the answer is lost, the next send
    # looks the order up by number before it creates one.
    journal_attempted_at = models.DateTimeField(null=True, blank=True)
    credited_invoice = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="credit_notes", verbose_name=_("krediterer faktura"))

    class Meta:
        ordering = ["-invoice_date", "-number", "-id"]
        verbose_name = _("faktura")
        verbose_name_plural = _("fakturaer")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="invoice_number_unique_per_tenant"),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(number__isnull=False), name="issued_invoice_has_number",
            ),
            # An invoice is credited once, in full.
            models.UniqueConstraint(fields=["credited_invoice"], name="invoice_credited_once"),
        ]
        indexes = [models.Index(fields=["tenant", "kid"])]

    def __str__(self):
        if self.credited_invoice_id:
            return gettext("Kreditnota %(number)s") % {"number": self.number}
        return gettext("Faktura %(number)s") % {"number": self.number} if self.number else gettext("Fakturautkast")

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_credit_note(self) -> bool:
        return self.credited_invoice_id is not None


class InvoiceLine(TenantOwned):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    description = models.CharField(_("beskrivelse"), max_length=300)
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("vare"))
    unit_price = models.DecimalField(_("enhetspris eks. mva"), **MONEY)
    quantity = models.DecimalField(_("antall"), **QUANTITY)
    vat_code = models.CharField(_("mva-kode"), max_length=4, choices=VatCode.choices, default=VatCode.HIGH)
    # Unit price × quantity rounded to øre, stored so the printed lines and the totals never disagree.
    amount = models.DecimalField(_("beløp eks. mva"), **MONEY)

    class Meta:
        ordering = ["position", "id"]


class Payment(TenantOwned):
    class Source(models.TextChoices):
        KID = "kid", _("KID/OCR")
        MANUAL = "manual", _("Registrert manuelt")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments",
                                verbose_name=_("faktura"))
    date = models.DateField(_("betalingsdato"))
    amount = models.DecimalField(_("beløp"), **MONEY)
    source = models.CharField(_("kilde"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    kid = models.CharField(_("KID"), max_length=25, blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("innbetaling")
        verbose_name_plural = _("innbetalinger")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self):
        return f"{self.invoice} {self.date} {self.amount}"


class PurchaseOrder(TenantOwned):
    number = models.PositiveIntegerField(_("innkjøpsordrenummer"))
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders",
                                 verbose_name=_("leverandør"))
    project = models.ForeignKey("hr.Project", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="purchase_orders", verbose_name=_("prosjekt"))
    order_date = models.DateField(_("ordredato"))
    delivery_date = models.DateField(_("leveringsdato"), null=True, blank=True)
    comment = models.CharField(_("kommentar"), max_length=500, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("innkjøpsordre")
        verbose_name_plural = _("innkjøpsordrer")
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="purchase_order_number_unique")]

    def __str__(self):
        return gettext("Innkjøpsordre %(number)s") % {"number": self.number}

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines.all()), Decimal("0.00"))


class PurchaseOrderLine(TenantOwned):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    description = models.CharField(_("beskrivelse"), max_length=300)
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("vare"))
    quantity = models.DecimalField(_("antall"), **QUANTITY)
    unit_cost = models.DecimalField(_("innkjøpspris eks. mva"), **MONEY)
    amount = models.DecimalField(_("beløp eks. mva"), **MONEY)

    class Meta:
        ordering = ["position", "id"]


class SupplierInvoice(TenantOwned):
    """An invoice a supplier sent us; it may pay one of our purchase orders (matched against it in Tripletex)."""

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="invoices",
                                 verbose_name=_("leverandør"))
    invoice_number = models.CharField(_("leverandørens fakturanummer"), max_length=50)
    invoice_date = models.DateField(_("fakturadato"))
    due_date = models.DateField(_("forfallsdato"), null=True, blank=True)
    vat_code = models.CharField(_("mva-sats"), max_length=4, choices=VatCode.choices, default=VatCode.HIGH)
    amount_net = models.DecimalField(_("beløp eks. mva"), **MONEY)
    amount_vat = models.DecimalField(_("mva"), default=Decimal("0"), **MONEY)
    amount_gross = models.DecimalField(_("å betale"), default=Decimal("0"), **MONEY)
    purchase_order = models.ForeignKey(PurchaseOrder, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="supplier_invoices", verbose_name=_("betaler innkjøpsordre"))

    class Meta:
        ordering = ["-invoice_date", "-id"]
        verbose_name = _("leverandørfaktura")
        verbose_name_plural = _("leverandørfakturaer")
        constraints = [models.UniqueConstraint(fields=["tenant", "supplier", "invoice_number"],
                                               name="supplier_invoice_number_unique")]

    def __str__(self):
        return gettext("Leverandørfaktura %(number)s fra %(supplier)s") % {
            "number": self.invoice_number, "supplier": self.supplier}


class LedgerAccount(TenantOwned):
    """One account of our chart, and the Tripletex account it is posted to ("Hovedbok").

    The connector posts an invoice to the receivable account and, per VAT code of its lines, to the
    sales account for that code; a payment to the bank account. An account left without a Tripletex
    number stops what needs it from being sent, and the log says which account is missing.
    """

    class Role(models.TextChoices):
        SALES = "sales", _("Salgsinntekt")
        RECEIVABLE = "receivable", _("Kundefordringer")
        BANK = "bank", _("Bank")
        PURCHASES = "purchases", _("Varekjøp")

    number = models.CharField(_("kontonummer"), max_length=10)
    name = models.CharField(_("navn"), max_length=200)
    role = models.CharField(_("bruk"), max_length=12, choices=Role.choices)
    # Only where it matters: sales accounts differ by VAT rate; blank means any code.
    vat_code = models.CharField(_("mva-kode"), max_length=4, choices=VatCode.choices, blank=True)
    tripletex_number = models.CharField(_("konto i Tripletex"), max_length=10, blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("konto")
        verbose_name_plural = _("kontoplan")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="ledger_account_number_unique"),
            models.UniqueConstraint(fields=["tenant", "role", "vat_code"], name="ledger_account_role_vat_unique"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"
