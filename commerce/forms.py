"""Forms of the commerce pages. They check what a user can fix in the form; the services check again."""
from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from hr.models import Customer, Project

from .models import Invoice, LedgerAccount, PaymentTerms, Product, Supplier
from .money import VatCode

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_MONEY = {"max_digits": 14, "decimal_places": 2}


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["number", "name", "unit", "sales_price", "cost_price", "vat_code", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages["required"] = _("Varen må ha et navn.")
        self.fields["number"].error_messages["required"] = _("Varen må ha et varenummer.")


class _TenantLineForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False, label=_("Vare"),
                                     empty_label="–")

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(tenant=tenant, active=True).order_by("number")

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", None) or {}
        return not any(data.get(name) not in (None, "") for name in self.fields)


class ComponentForm(_TenantLineForm):
    quantity = forms.DecimalField(label=_("Antall"), required=False, min_value=Decimal("0.001"), max_digits=12,
                                  decimal_places=3)

    def clean(self):
        data = super().clean()
        if not self.is_blank() and (not data.get("product") or not data.get("quantity")):
            raise forms.ValidationError(_("Velg vare og antall, eller tøm linjen."))
        return data


class InvoiceLineForm(_TenantLineForm):
    description = forms.CharField(label=_("Beskrivelse"), required=False, max_length=300)
    quantity = forms.DecimalField(label=_("Antall"), required=False, max_digits=12, decimal_places=3)
    unit_price = forms.DecimalField(label=_("Enhetspris eks. mva"), required=False, **_MONEY)
    vat_code = forms.ChoiceField(label=_("Mva"), required=False, choices=[("", _("Fra varen"))] + VatCode.choices)

    field_order = ["product", "description", "quantity", "unit_price", "vat_code"]

    def clean(self):
        data = super().clean()
        if self.is_blank():
            return data
        if data.get("quantity") in (None, 0):
            self.add_error("quantity", _("Oppgi antall."))
        if not data.get("product"):
            if not data.get("description"):
                self.add_error("description", _("Oppgi beskrivelse eller velg en vare."))
            if data.get("unit_price") is None:
                self.add_error("unit_price", _("Oppgi pris eller velg en vare."))
            if not data.get("vat_code"):
                self.add_error("vat_code", _("Velg mva-kode eller en vare."))
        return data


class PurchaseOrderLineForm(_TenantLineForm):
    description = forms.CharField(label=_("Beskrivelse"), required=False, max_length=300)
    quantity = forms.DecimalField(label=_("Antall"), required=False, min_value=Decimal("0.001"), max_digits=12,
                                  decimal_places=3)
    unit_cost = forms.DecimalField(label=_("Innkjøpspris eks. mva"), required=False, min_value=Decimal("0"), **_MONEY)

    field_order = ["product", "description", "quantity", "unit_cost"]

    def clean(self):
        data = super().clean()
        if self.is_blank():
            return data
        if not data.get("quantity"):
            self.add_error("quantity", _("Oppgi antall."))
        if not data.get("product") and (not data.get("description") or data.get("unit_cost") is None):
            raise forms.ValidationError(_("Velg en vare, eller oppgi beskrivelse og pris."))
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, tenant, **kwargs):
        self.tenant = tenant
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"tenant": self.tenant}

    @property
    def empty_form(self):
        form = self.form(auto_id=self.auto_id, prefix=self.add_prefix("__prefix__"), empty_permitted=True,
                         use_required_attribute=False, tenant=self.tenant)
        self.add_fields(form, None)
        return form

    def lines(self) -> list[dict]:
        """The filled lines, blanks dropped, with None for an empty choice."""
        out = []
        for form in self.forms:
            if not form.cleaned_data or form.is_blank():
                continue
            out.append({k: (v if v != "" else None) for k, v in form.cleaned_data.items()})
        return out


ComponentFormSet = forms.formset_factory(ComponentForm, formset=BaseLineFormSet, extra=3)
InvoiceLineFormSet = forms.formset_factory(InvoiceLineForm, formset=BaseLineFormSet, extra=3)
PurchaseOrderLineFormSet = forms.formset_factory(PurchaseOrderLineForm, formset=BaseLineFormSet, extra=3)


class SupplierForm(forms.ModelForm):
    class Meta:
        model = Supplier
        fields = ["supplier_number", "name", "org_number", "email", "phone", "address", "postal_code", "city"]


class PaymentTermsForm(forms.ModelForm):
    class Meta:
        model = PaymentTerms
        fields = ["name", "days"]
        widgets = {"days": forms.NumberInput(attrs={"min": 0, "max": 365})}

    def clean_days(self):
        days = self.cleaned_data["days"]
        if days > 365:
            raise forms.ValidationError(_("Høyst 365 dager."))
        return days


class LedgerAccountForm(forms.ModelForm):
    class Meta:
        model = LedgerAccount
        fields = ["number", "name", "role", "vat_code", "tripletex_number"]
        help_texts = {
            "vat_code": _("Bare for salgskontoer: hvilken mva-kode linjene på kontoen har. Tom betyr alle."),
            "tripletex_number": _("Kontoen i Tripletex som føringene sendes til. Uten den sendes ingenting som "
                                  "trenger kontoen."),
        }


class InvoiceForm(forms.ModelForm):
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label=_("kunde"))
    project = forms.ModelChoiceField(queryset=Project.objects.none(), required=False, label=_("prosjekt"),
                                     empty_label=_("Ingen"))
    payment_terms = forms.ModelChoiceField(
        queryset=PaymentTerms.objects.none(), required=False, label=_("betalingsbetingelse"),
        empty_label=_("Kundens betalingsfrist"),
    )

    class Meta:
        model = Invoice
        fields = ["customer", "invoice_date", "payment_terms", "project", "department_number", "order_number",
                  "order_date", "delivery_date", "currency", "comment"]
        widgets = {"invoice_date": _DATE, "order_date": _DATE, "delivery_date": _DATE}

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        inv = self.instance
        customers = Customer.objects.filter(tenant=tenant).exclude(status=Customer.Status.DELETED)
        if inv.customer_id:
            customers = customers | Customer.objects.filter(pk=inv.customer_id)
        self.fields["customer"].queryset = customers.order_by("name")
        projects = Project.objects.filter(tenant=tenant).exclude(status=Project.Status.DELETED)
        if inv.project_id:
            projects = projects | Project.objects.filter(pk=inv.project_id)
        self.fields["project"].queryset = projects.order_by("number", "name")
        self.fields["payment_terms"].queryset = PaymentTerms.objects.filter(tenant=tenant)
        self.fields["customer"].error_messages["required"] = _("Velg kunden fakturaen skal til.")

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()


class PaymentForm(forms.Form):
    kid = forms.CharField(label=_("KID"), required=False, max_length=40,
                          help_text=_("Fra bankens OCR-fil eller betalingen. Tom: registreres manuelt på fakturaen."))
    invoice = forms.ModelChoiceField(queryset=Invoice.objects.none(), required=False, label=_("Faktura"),
                                     empty_label="–")
    date = forms.DateField(label=_("Betalingsdato"), widget=_DATE)
    amount = forms.DecimalField(label=_("Beløp"), min_value=Decimal("0.01"), **_MONEY)

    def __init__(self, *args, tenant, invoice: Invoice | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Invoice.objects.filter(tenant=tenant, status=Invoice.Status.ISSUED).select_related("customer")
        self.fields["invoice"].queryset = qs.order_by("-number")
        self.fields["invoice"].label_from_instance = lambda inv: f"{inv.number} · {inv.customer.name}"
        if invoice is not None:
            self.fields["invoice"].initial = invoice.pk


class PurchaseOrderForm(forms.Form):
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.none(), label=_("Leverandør"))
    project = forms.ModelChoiceField(queryset=Project.objects.none(), required=False, label=_("Prosjekt"),
                                     empty_label=_("Ingen"))
    order_date = forms.DateField(label=_("Ordredato"), widget=_DATE)
    delivery_date = forms.DateField(label=_("Leveringsdato"), widget=_DATE, required=False)
    comment = forms.CharField(label=_("Kommentar"), required=False, max_length=500)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Supplier.objects.filter(tenant=tenant)
        self.fields["project"].queryset = Project.objects.filter(tenant=tenant).exclude(
            status=Project.Status.DELETED).order_by("number", "name")


class SupplierInvoiceForm(forms.Form):
    """A supplier's invoice that pays one of our purchase orders (supplier and order are the order's)."""

    invoice_number = forms.CharField(label=_("Leverandørens fakturanummer"), max_length=50)
    invoice_date = forms.DateField(label=_("Fakturadato"), widget=_DATE)
    due_date = forms.DateField(label=_("Forfallsdato"), widget=_DATE, required=False)
    amount_net = forms.DecimalField(label=_("Beløp eks. mva"), min_value=Decimal("0.01"), **_MONEY)
    vat_code = forms.ChoiceField(label=_("Mva-sats"), choices=VatCode.choices, initial=VatCode.HIGH)
