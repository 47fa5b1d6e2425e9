"""Customer import from Tripletex (seed 002, OC2): "Kundeimport og fakturajournal".

- `inbound`: customers created or changed in Tripletex since the last successful import → here, one way.
- `options`: how often the import runs.
- `rules`: the seed's rules in the admin's words.

- `journal`: a journal ("bunt") of issued invoices → invoiced orders in Tripletex.

It owns our customers the other way round from the two-way `master_data` connector (which sends ours to
Tripletex), and it sends issued invoices as seed 004's `invoices` connector does (as vouchers): with
either on, customers or sales would be written twice. `excludes` makes switching on refuse while one
of them is on, and the other way round.
"""
from django.utils.translation import gettext_lazy as _

from ..base import Connector
from ..registry import register
from . import inbound
from .options import CustomerImportOptions
from .rules import RULES

NAME = "customer_import"

CONNECTOR = register(Connector(
    name=NAME,
    title=_("Kundeimport og fakturajournal"),
    description=_(
        "Kunder hentes fra Tripletex hit: bare de som er opprettet eller endret siden forrige import, med "
        "kundenummer, navn, aktiv, organisasjonsnummer, valuta, betalingsfrist, fakturaadresse, telefon, e-post "
        "og nettsted. Hver import logges per kunde. Utstedte fakturaer samles i bunter og sendes til Tripletex, "
        "der hver blir en fakturert ordre."
    ),
    options_form=CustomerImportOptions,
    rules=RULES,
    excludes=("master_data", "invoices"),
    reconcile=inbound.reconcile,
))
