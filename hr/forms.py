from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Activity, Project, TimeEntry, WageType

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
    employee = forms.IntegerField(label=_("Ansatt"), required=False)
    project = forms.IntegerField(label=_("Prosjekt"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Alle"))] + list(TimeEntry.Status.choices),
    )
