from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TenantAPIKey


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Navn"), max_length=50, help_text=_("Hva nøkkelen brukes til, for eksempel «Lønnssystemet»."),
    )
    scope = forms.ChoiceField(
        label=_("Tilgang"), choices=TenantAPIKey.Scope.choices, initial=TenantAPIKey.Scope.READ_WRITE,
        widget=forms.RadioSelect,
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Gi nøkkelen et navn."))
        return name
