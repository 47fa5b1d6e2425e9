"""Seed 002's rules for the customer import, in the admin's words (stored as log rules, translated when shown)."""
from django.utils.translation import gettext_lazy as _

CUSTOMER_CREATED = _("Ny kunde i Tripletex → opprettet her")
CUSTOMER_UPDATED = _("Kunde endret i Tripletex → feltene som endret seg er oppdatert her")
CUSTOMER_UNCHANGED = _("Kunde hentet fra Tripletex uten endring i feltene som importeres")
CUSTOMER_MATCHED = _("Kunden fantes her med samme kundenummer: koblet og oppdatert, ikke opprettet på nytt")
ONLY_CHANGED = _("Bare kunder opprettet eller endret i Tripletex siden forrige vellykkede import hentes")
PAYMENT_TERMS_CREATED = _("Betalingsbetingelse som ikke fantes her, er opprettet for kunden")
CHANGED_SINCE_IGNORED = _(
    "Tripletex sendte kunder som ikke var endret siden forrige import: versjonene ble sammenlignet, og bare "
    "endrede kunder ble importert"
)


JOURNAL_SENT = _("Faktura i bunten → fakturert ordre i Tripletex (ordre med linjer, så fakturert)")
JOURNAL_ALREADY_THERE = _("Fakturaen finnes allerede i Tripletex: hver faktura sendes én gang")
JOURNAL_FOUND_AFTER_DOUBT = _(
    "Ordren fantes allerede i Tripletex med vårt ordre- og fakturanummer etter et svar som uteble: brukt, ikke "
    "laget på nytt"
)
JOURNAL_MISSING = _(
    "Kunde, avdeling og prosjekt finnes i Tripletex på nummer; mangler ett, stopper fakturaen (det opprettes ikke)"
)
JOURNAL_FAILED = _("Tripletex tok ikke imot fakturaen")
JOURNAL_CREDIT_NOTE = _("Kreditnota i bunten → Tripletex' kreditnota på fakturaen den krediterer, laget én gang")
JOURNAL_CREDITED_THERE = _(
    "Fakturaen var allerede kreditert i Tripletex: den kreditnotaen er koblet til vår, ikke laget på nytt"
)
JOURNAL_NUMBER = _(
    "Fakturaen får vårt fakturanummer og vår KID i Tripletex; er nummeret allerede brukt der, nummererer Tripletex "
    "den, KID-en er vår, og begge numrene vises"
)

RULES = (ONLY_CHANGED, CUSTOMER_CREATED, CUSTOMER_UPDATED, PAYMENT_TERMS_CREATED, CUSTOMER_MATCHED, JOURNAL_SENT,
         JOURNAL_NUMBER, JOURNAL_CREDIT_NOTE, JOURNAL_ALREADY_THERE, JOURNAL_MISSING)
