"""Invoices and payments to Tripletex as vouchers (seed 004, Drifti): "Faktura og innbetalinger".

- `outbound`: an issued invoice → an advanced voucher with its PDF; a payment → a payment voucher; a new
  project → a project (while no switched-on connector owns projects), also one made before the integration was
  on, queued by the hours push when hours are held for it and whose held hours it then releases; the accounts,
  VAT types, customer and project they need; the reconcile that queues what is not sent yet.
- `rules`: the seed's rules in the admin's words.
- `ledger`: Hovedbok, our chart of accounts matched to Tripletex's.
- `komplett`: what the company's Tripletex must have (Komplett) before the connector is switched on.

Seed 004's activities and employees are not here: they are shared with the hours push, which needs them with
any connector or none. Activities are matched or created from the hourly rate in `connectors.activities`, at
the first hours on them; employees are linked, never created, by the wizard (`connectors.activation`'s matcher)
and kept by the two-way connector, and the hours push only reads those links (hours of an unlinked employee wait).
"""
from django.utils.translation import gettext_lazy as _

from ...models import Link
from ..base import Connector
from ..registry import register
from . import komplett, outbound
from .rules import RULES

CONNECTOR = register(Connector(
    name="invoices",
    title=_("Faktura og innbetalinger"),
    description=_(
        "Utstedte fakturaer sendes til Tripletex som avanserte bilag med PDF-en vedlagt, ført mot kundereskontro "
        "og salgskonto med prosjektnummeret. Innbetalinger, med KID eller registrert manuelt, føres som "
        "innbetalingsbilag (bank mot kundereskontro) på fakturaens nummer, fordi fakturaen finnes som bilag og "
        "ikke som faktura i Tripletex. Et nytt prosjekt her opprettes i Tripletex med en gang, når ingen annen påslått "
        "integrasjon sender prosjekter. Kunder og prosjekter søkes opp på nummer og opprettes bare når de mangler; "
        "et prosjekt som finnes der, kobles og overskrives aldri."
    ),
    rules=RULES,
    kinds=(Link.Kind.INVOICE, Link.Kind.PAYMENT),
    # Seed 004: a new project goes to Tripletex, but the two-way connector (`master_data`) owns projects when on.
    kinds_if_unowned=(Link.Kind.PROJECT,),
    handle_local_change=outbound.handle_local_change,
    reconcile=outbound.reconcile,
    requirements=komplett.requirements,
))
