from django import forms
from django.utils.translation import gettext_lazy as _


class HoursExportForm(forms.Form):
    """Seed 004: pick a period, send every approved hour in it that has not gone yet."""

    date_from = forms.DateField(label=_("Fra og med"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Til og med"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("Fra-datoen må være før til-datoen."))
        if data.get("date_from") and data.get("date_to") and (data["date_to"] - data["date_from"]).days > 366:
            raise forms.ValidationError(_("Velg en periode på høyst ett år."))
        return data
