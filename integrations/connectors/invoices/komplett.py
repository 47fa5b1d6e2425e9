"""Seed 004: "Denne integrasjonen krever at du har Tripletex Komplett".

Vouchers and the chart of accounts are Tripletex's accounting (Komplett); a company on a smaller module
set, or a key whose user has no access to them, answers these reads with 403 (code 9000). One read of at
most one row on each, never a write.
"""
from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from ...tripletex import Forbidden, TripletexClient, TripletexError
from ...tripletex.errors import describe


def _reads(today: dt.date) -> list[tuple[str, str, dict]]:
    return [
        (_("bilag (avanserte bilag og innbetalinger)"), "/ledger/voucher",
         {"dateFrom": today.isoformat(), "dateTo": (today + dt.timedelta(days=1)).isoformat()}),
        (_("kontoplanen (hovedbok)"), "/ledger/account", {}),
    ]


def requirements(client: TripletexClient, today: dt.date) -> list[str]:
    reasons = []
    for what, path, params in _reads(today):
        try:
            client.list_page(path, params=params, fields="id", count=1)
        except Forbidden as exc:
            reasons.append(_(
                "Tripletex gir ikke tilgang til %(what)s. Integrasjonen krever Tripletex Komplett, og at "
                "brukeren bak API-nøkkelen har tilgang til regnskap. Tripletex sier: %(theirs)s"
            ) % {"what": what, "theirs": describe(exc)})
        except TripletexError as exc:
            reasons.append(_("Tilgangen til %(what)s kunne ikke sjekkes nå, så ingenting er slått på. Prøv igjen "
                             "om litt. Tripletex sier: %(theirs)s") % {"what": what, "theirs": describe(exc)})
    return reasons
