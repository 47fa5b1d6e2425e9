from django import forms
from django.utils.translation import gettext_lazy as _


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("API-nøkkel"), required=False, strip=True, max_length=1000,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}),
    )
    confirm_other_company = forms.BooleanField(required=False)
    # «Fortsett med den lagrede nøkkelen» on a refresh: its own button, so an empty field never means "keep".
    keep_stored = forms.BooleanField(required=False)

