"""Seed 004's rules for invoices and payments, in the admin's words (stored as log rules, translated when shown)."""
from django.utils.translation import gettext_lazy as _

INVOICE_SENT = _("Utstedt faktura → avansert bilag i Tripletex med PDF-en vedlagt")
PAYMENT_SENT = _("Innbetaling → innbetalingsbilag mot fakturaens kundereskontro")
ALREADY_SENT = _("Allerede sendt: hver faktura og innbetaling sendes én gang")
FOUND_AFTER_DOUBT = _("Fantes allerede i Tripletex med vårt bilagsnummer etter et svar som uteble: koblet, ikke sendt igjen")
ACCOUNT_MISSING = _("En konto uten konto i Tripletex stopper sendingen til den er koblet i Kontoplan")
CREDIT_NOTE_SENT = _(
    "Kreditnota → fakturaens bilag reversert i Tripletex (koblet til det), med kreditnotaens PDF vedlagt"
)
CREDIT_NOTE_ALREADY_REVERSED = _(
    "Fakturaens bilag var allerede reversert i Tripletex: den reverseringen er koblet til kreditnotaen, ikke "
    "laget på nytt"
)
CREDIT_NOTE_FOUND_AFTER_DOUBT = _(
    "Reverseringen fantes allerede på fakturaens bilag etter et svar som uteble: koblet, ikke reversert igjen"
)
CUSTOMER_FOUND = _("Kunden fantes i Tripletex med samme kundenummer: brukt")
CUSTOMER_CREATED = _("Kunden fantes ikke i Tripletex: opprettet")
PROJECT_FOUND = _("Prosjektet fantes i Tripletex med nøyaktig samme nummer: brukt")
PROJECT_CREATED = _("Prosjektet fantes ikke i Tripletex: opprettet")
PROJECT_NEW_HERE = _(
    "Nytt prosjekt her → prosjekt i Tripletex, eller koblet til prosjektet der med nøyaktig samme nummer (når ingen "
    "annen påslått integrasjon sender prosjekter)"
)
PROJECT_ALREADY_LINKED = _("Prosjektet er allerede koblet til Tripletex: endringer her overskriver ikke prosjektet der")
PROJECT_LINK_CUT = _("Koblingen til prosjektet i Tripletex er brutt: ingenting sendes")
PROJECT_DELETED_HERE = _("Prosjektet er slettet her: det opprettes ikke i Tripletex, og ingenting slettes der")

RULES = (INVOICE_SENT, PAYMENT_SENT, CREDIT_NOTE_SENT, ALREADY_SENT, ACCOUNT_MISSING, CUSTOMER_FOUND, PROJECT_NEW_HERE,
         PROJECT_FOUND)
