"""Hovedbok (seed 004): our chart of accounts matched to the company's chart in Tripletex.

The page reads Tripletex's active accounts once (one call), suggests for each of our accounts the account
with the same number, else the one in the same account class (first digit, NS 4102) whose name is most
alike, and the admin accepts a suggestion with one click. Nothing is written to Tripletex.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from commerce.models import LedgerAccount
from tenants.models import Tenant

from ...clients import pooled_client_for_connection
from ...selectors import connection_for

SAME_NUMBER = gettext_lazy("samme kontonummer")
SIMILAR_NAME = gettext_lazy("likt navn i samme kontoklasse")
# Below this, two names share too little to be worth a click (e.g. "Bank" and "Kontanter").
NAME_THRESHOLD = 0.5


class NotConnected(Exception):
    """The company has no working connection to Tripletex, so there is no chart to match against."""


class NotConfigured(Exception):
    """This installation has no consumer token for Tripletex, so no company can be asked anything."""


@dataclass(frozen=True)
class Suggestion:
    number: str
    name: str
    reason: str


def tripletex_chart(*, tenant: Tenant) -> list[dict]:
    """The company's active accounts in Tripletex: number and name, in one read."""
    connection = connection_for(tenant=tenant)
    if connection is None or not connection.is_active or not connection.employee_token:
        raise NotConnected
    if not settings.TRIPLETEX_CONSUMER_TOKEN:
        raise NotConfigured
    client = pooled_client_for_connection(connection)
    accounts = client.ledger_account_list(is_inactive=False, fields="id,number,name", sorting="number")
    return [{"number": str(a["number"]), "name": a.get("name") or ""} for a in accounts]


def _words(name: str) -> str:
    return " ".join(re.findall(r"\w+", name.lower()))


def suggestion_for(account: LedgerAccount, chart: list[dict]) -> Suggestion | None:
    same = next((a for a in chart if a["number"] == account.number), None)
    if same is not None:
        return Suggestion(same["number"], same["name"], str(SAME_NUMBER))
    ours = _words(account.name)
    best, best_score = None, NAME_THRESHOLD
    for candidate in chart:
        if candidate["number"][:1] != account.number[:1]:
            continue
        theirs = _words(candidate["name"])
        score = difflib.SequenceMatcher(None, ours, theirs).ratio()
        # "Salg" and "Salgsinntekt, avgiftspliktig": a name that starts the same is a strong hint.
        if theirs.startswith(ours.split(" ")[0]) or ours.startswith(theirs.split(" ")[0]):
            score += 0.25
        if score > best_score:
            best, best_score = candidate, score
    return Suggestion(best["number"], best["name"], str(SIMILAR_NAME)) if best else None


def matching_rows(*, tenant: Tenant, chart: list[dict]) -> list[dict]:
    """Each of our accounts with the Tripletex account it is mapped to (if Tripletex still has it) and a
    suggestion when it is not mapped or mapped to an account Tripletex no longer has active."""
    names = {a["number"]: a["name"] for a in chart}
    rows = []
    for account in LedgerAccount.objects.filter(tenant=tenant).order_by("number", "id"):
        mapped = account.tripletex_number
        known = bool(mapped) and mapped in names
        suggestion = None if known else suggestion_for(account, chart)
        rows.append({"account": account, "mapped_name": names.get(mapped, ""), "known": known,
                     "suggestion": suggestion})
    return rows


@transaction.atomic
def ledger_account_match(*, tenant: Tenant, account: LedgerAccount, tripletex_number: str,
                         chart: list[dict]) -> LedgerAccount:
    """Map our account to a Tripletex account the company has (checked against the chart just read)."""
    if account.tenant_id != tenant.id:
        raise ValidationError(_("Kontoen finnes ikke."))
    if tripletex_number not in {a["number"] for a in chart}:
        raise ValidationError(_("Konto %(number)s finnes ikke (eller er inaktiv) i Tripletex.")
                              % {"number": tripletex_number})
    account.tripletex_number = tripletex_number
    account.save(update_fields=["tripletex_number"])
    return account
