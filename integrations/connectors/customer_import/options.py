"""The customer import's options: how often it looks for new and changed customers in Tripletex."""
from django import forms
from django.utils.translation import gettext_lazy as _

INTERVALS = (
    (5, _("Hvert 5. minutt")),
    (15, _("Hvert 15. minutt")),
    (30, _("Hvert 30. minutt")),
    (60, _("Hver time")),
    (240, _("Hver 4. time")),
    (1440, _("Én gang i døgnet")),
)
DEFAULT_INTERVAL = 15


class CustomerImportOptions(forms.Form):
    interval_minutes = forms.TypedChoiceField(
        label=_("Hent kunder"), choices=INTERVALS, coerce=int, initial=DEFAULT_INTERVAL,
        help_text=_("Hvor ofte nye og endrede kunder hentes fra Tripletex. «Synkroniser nå» henter med en gang."),
    )
    journal_daily = forms.BooleanField(
        label=_("Send dagens bunt automatisk"), required=False, initial=False,
        help_text=_("Fakturaer utstedt en dag samles i en bunt som sendes til Tripletex etter midnatt. Uten dette "
                    "lager og sender du buntene selv under Fakturabunter."),
    )
