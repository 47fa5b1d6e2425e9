from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from tenants.ids import MAX_ID

from .models import Activity, Customer, Employee, Project, TimeEntry, WageType
from .services import CUSTOMER_INACTIVE_REFUSED

DAY_FIELDS = [f"d{i}" for i in range(7)]


class TimesheetRowForm(forms.Form):
    project = forms.ModelChoiceField(queryset=Project.objects.none(), label=_("Prosjekt"), required=False)
    activity = forms.ModelChoiceField(queryset=Activity.objects.none(), label=_("Aktivitet"), required=False)
    wage_type = forms.ModelChoiceField(queryset=WageType.objects.none(), label=_("Lønnsart"), required=False)
    comment = forms.CharField(label=_("Kommentar"), required=False, max_length=500)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = Project.objects.filter(tenant=tenant, status=Project.Status.ACTIVE)
        self.fields["activity"].queryset = Activity.objects.filter(tenant=tenant)
        self.fields["wage_type"].queryset = WageType.objects.filter(tenant=tenant, active=True)
        for name in DAY_FIELDS:
            self.fields[name] = forms.DecimalField(
                required=False, min_value=Decimal("0"), max_value=Decimal("24"), decimal_places=2, max_digits=4,
                widget=forms.NumberInput(attrs={"step": "0.25", "min": "0", "max": "24", "inputmode": "decimal"}),
                error_messages={"max_value": _("Maks 24 timer."), "min_value": _("Kan ikke være negativ.")},
            )

    def clean(self):
        data = super().clean()
        has_hours = any(data.get(name) for name in DAY_FIELDS)
        if has_hours:
            if not data.get("project"):
                self.add_error("project", _("Velg et prosjekt."))
            if not data.get("activity"):
                self.add_error("activity", _("Velg en aktivitet."))
        return data

    def as_row(self) -> dict | None:
        data = self.cleaned_data
        hours = {i: data[name] for i, name in enumerate(DAY_FIELDS) if data.get(name)}
        if not hours:
            return None
        return {
            "project": data["project"], "activity": data["activity"], "wage_type": data.get("wage_type"),
            "comment": data.get("comment", ""), "hours": hours,
        }


class BaseTimesheetFormSet(forms.BaseFormSet):
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

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            row = form.as_row() if form.cleaned_data else None
            if row is None:
                continue
            key = (row["project"].id, row["activity"].id, row["wage_type"].id if row["wage_type"] else None)
            if key in seen:
                raise forms.ValidationError(_("Samme prosjekt, aktivitet og lønnsart står på flere linjer. Slå dem sammen."))
            seen.add(key)

    def rows(self) -> list[dict]:
        return [row for form in self.forms if form.cleaned_data and (row := form.as_row())]


TimesheetFormSet = forms.formset_factory(TimesheetRowForm, formset=BaseTimesheetFormSet, extra=2, can_delete=False)


class ApprovalFilterForm(forms.Form):
    week = forms.CharField(label=_("Uke"), required=False, widget=forms.TextInput(attrs={"type": "week"}))
    employee = forms.IntegerField(label=_("Ansatt"), required=False, min_value=1, max_value=MAX_ID)
    project = forms.IntegerField(label=_("Prosjekt"), required=False, min_value=1, max_value=MAX_ID)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Alle"))] + list(TimeEntry.Status.choices),
    )


# Projects, customers and employees. The forms check what a user can fix in the form; the services
# check it again, so every caller gets the same rules.

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _status_choices(choices, *, current: str, hidden: str) -> list:
    """A row is deleted with its own button; "Slettet" is offered only to a row that has it, to restore it."""
    return [(value, label) for value, label in choices if value != hidden or value == current]


def _with_current(qs, current_id):
    """Deleted or inactive rows are not offered, except the one already chosen, so saving keeps it."""
    return qs | qs.model.objects.filter(pk=current_id) if current_id else qs


class ProjectForm(forms.ModelForm):
    # Declared here because the scoped managers refuse the unscoped default querysets; __init__ sets them.
    parent = forms.ModelChoiceField(
        queryset=Project.objects.none(), required=False, label=_("hovedprosjekt"), empty_label=_("Ingen"),
    )
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.none(), required=False, label=_("kunde"), empty_label=_("Ingen"),
    )
    project_manager = forms.ModelChoiceField(
        queryset=Employee.objects.none(), required=False, label=_("prosjektleder"), empty_label=_("Ingen"),
    )

    class Meta:
        model = Project
        fields = ["number", "name", "status", "start_date", "end_date", "project_manager", "parent", "customer",
                  "is_internal"]
        widgets = {"start_date": _DATE, "end_date": _DATE}
        help_texts = {
            # Seed 000's rules for the two-way sync, where the user decides them.
            "start_date": _("Et prosjekt uten startdato sendes ikke til Tripletex, fordi Tripletex krever startdato."),
        }

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        project = self.instance
        parents = Project.objects.filter(tenant=tenant).exclude(status=Project.Status.DELETED)
        if project.pk:
            parents = parents.exclude(pk=project.pk)
        self.fields["parent"].queryset = _with_current(parents, project.parent_id).order_by("number", "name")
        self.fields["parent"].help_text = _("Underprosjekter sendes ikke til Tripletex.")
        customers = Customer.objects.filter(tenant=tenant).exclude(status=Customer.Status.DELETED)
        self.fields["customer"].queryset = _with_current(customers, project.customer_id).order_by("name")
        managers = Employee.objects.filter(tenant=tenant, active=True)
        self.fields["project_manager"].queryset = _with_current(managers, project.project_manager_id)
        self.fields["status"].choices = _status_choices(
            Project.Status.choices, current=project.status, hidden=Project.Status.DELETED,
        )
        self.fields["name"].error_messages["required"] = _("Prosjektet må ha et navn.")


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["customer_number", "name", "org_number", "email", "phone", "address", "postal_code", "city",
                  "currency", "payment_terms_days", "status"]
        help_texts = {"customer_number": _("Bare kunder med et tall som kundenummer sendes til Tripletex.")}

    def __init__(self, *args, two_way: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _status_choices(
            Customer.Status.choices, current=self.instance.status, hidden=Customer.Status.DELETED,
        )
        self.fields["name"].error_messages["required"] = _("Kunden må ha et navn.")
        self.fields["currency"].widget.attrs.update({"maxlength": 3, "autocapitalize": "characters"})
        terms = self.fields["payment_terms_days"]
        terms.validators.append(MaxValueValidator(365))
        terms.widget.attrs["max"] = 365
        if two_way:
            self.fields["status"].help_text = CUSTOMER_INACTIVE_REFUSED

    def clean_org_number(self):
        # People type it as on letters, "923 609 016"; we keep the nine digits.
        return "".join(self.cleaned_data["org_number"].split())

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()


class EmployeeForm(forms.ModelForm):
    class Meta:
        model = Employee
        fields = ["first_name", "last_name", "email", "employee_number", "active"]
        help_texts = {
            "last_name": _("En ansatt uten etternavn sendes ikke til Tripletex, fordi Tripletex krever etternavn."),
            "employee_number": _("Unikt i selskapet."),
            "active": _("Inaktive ansatte sendes ikke til Tripletex."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].error_messages["required"] = _("Den ansatte må ha et fornavn.")


class RegisterFilterForm(forms.Form):
    """The search box, status filter and sort order of a register list; bad values fall back to the defaults."""

    q = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(required=False)
    sort = forms.ChoiceField(required=False, choices=[("number", "number"), ("name", "name")])

    def __init__(self, *args, statuses: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = statuses

    def value(self, name: str, default: str = "") -> str:
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name) or default
