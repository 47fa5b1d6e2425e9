from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import Tenant


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(label=_("E-post"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))
    password = forms.CharField(label=_("Passord"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    error_messages = {
        "invalid_login": _("Feil e-post eller passord."),
        "inactive": _("Denne brukeren er deaktivert."),
    }

    def clean_username(self):
        return self.cleaned_data["username"].lower()


class CompanyForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ["name", "org_number", "hours_locked_until"]
        widgets = {"hours_locked_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
