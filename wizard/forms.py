from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .services import SEND_ALL, SEND_FROM, SEND_NONE


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("API-nøkkel"), required=False, strip=True, max_length=1000,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}),
    )
    confirm_other_company = forms.BooleanField(required=False)
    # «Fortsett med den lagrede nøkkelen» on a refresh: its own button, so an empty field never means "keep".
    keep_stored = forms.BooleanField(required=False)


class ListFilterForm(forms.Form):
    """A list step's search and filter. A value no page sends (a NUL, which PostgreSQL refuses, or text past any
    name's length) counts as no filter rather than failing the page."""

    q = forms.CharField(required=False, max_length=300)
    show = forms.CharField(required=False, max_length=20)

    def values(self) -> tuple[str, str]:
        self.is_valid()
        return self.cleaned_data.get("q", ""), self.cleaned_data.get("show", "")


class SendHoursForm(forms.Form):
    """Step 5: which of the approved hours that wait go to Tripletex at Ferdigstill (the rest stay, not sent)."""

    send_hours = forms.ChoiceField(
        choices=[(SEND_FROM, _("Send timer datert fra og med")), (SEND_ALL, _("Send alle")),
                 (SEND_NONE, _("Send ingen nå"))],
        widget=forms.RadioSelect, initial=SEND_FROM,
    )
    send_hours_from = forms.DateField(
        label=_("Fra og med"), required=False,
        widget=forms.DateInput(attrs={"type": "date", "aria-label": _("Fra og med")}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The first day of this month, so a year of old hours is never pushed unasked.
        self.fields["send_hours_from"].initial = timezone.localdate().replace(day=1)

    def clean(self):
        data = super().clean()
        if data.get("send_hours") == SEND_FROM and not data.get("send_hours_from"):
            self.add_error("send_hours_from", _("Velg datoen timene skal sendes fra."))
        return data
