from django import forms
from django.utils.translation import gettext_lazy as _


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("API-nøkkel"), required=False, strip=True, max_length=1000,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}),
    )
    confirm_other_company = forms.BooleanField(required=False)
