"""Products, customers and suppliers pushed to Tripletex as they change, after an optional start-up copy
from Tripletex (seed 003, Rackbeat): "Varer, kunder og leverandører".
"""
from django.utils.translation import gettext_lazy as _

from ..base import Connector
from ..registry import register

CONNECTOR = register(Connector(
    name="inventory",
    title=_("Varer, kunder og leverandører"),
    description=_(
        "Varer, kunder og leverandører sendes til Tripletex med en gang de endres her. Når integrasjonen slås på, "
        "kan du først hente kunder, leverandører, varer, betalingsbetingelser og ansatte fra Tripletex."
    ),
))
