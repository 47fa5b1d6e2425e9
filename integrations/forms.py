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


class SyncLogFilterForm(forms.Form):
    """The Synkroniseringslogg's filters, all optional; a value that is not one of the choices is a form error."""

    integrasjon = forms.ChoiceField(label=_("Integrasjon"), required=False)
    kjoring = forms.IntegerField(label=_("Kjøring"), required=False, min_value=1, max_value=2**63 - 1,
                                 widget=forms.HiddenInput)
    type = forms.ChoiceField(label=_("Type"), required=False)
    handling = forms.ChoiceField(label=_("Resultat"), required=False)
    retning = forms.ChoiceField(label=_("Retning"), required=False)
    q = forms.CharField(label=_("Søk"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Navn, melding eller regel")}))

    def __init__(self, *args, sources, kinds, actions, directions, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("Alle"))]
        self.fields["integrasjon"].choices = everything + list(sources)
        self.fields["type"].choices = everything + list(kinds)
        self.fields["handling"].choices = everything + list(actions)
        self.fields["retning"].choices = everything + list(directions)

    def filters(self) -> dict:
        """The valid filters as the selector's keyword arguments; invalid ones are left out (and shown as errors)."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        return {
            "source": data.get("integrasjon") or "", "run_id": data.get("kjoring"), "kind": data.get("type") or "",
            "action": data.get("handling") or "", "direction": data.get("retning") or "",
            "q": (data.get("q") or "").strip(),
        }
