"""Reads about a company's Tripletex connection: the connection itself, the settings page's status card, the
"Endret i Tripletex" list and the shared API budget."""
import dataclasses

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant

from . import rights
from .models import Connection, Link, RemoteChange
from .ratebudget import budget_for_connection

# Changes listed on the Tripletex card; the count says how many more wait.
REMOTE_CHANGES_SHOWN = 50


def connection_for(*, tenant: Tenant) -> Connection | None:
    return Connection.objects.filter(tenant=tenant).first()


def status_card(*, tenant: Tenant) -> dict:
    """The Tripletex card on Selskapsinnstillinger: state, company, what is linked, what Tripletex no longer has."""
    connection = connection_for(tenant=tenant)
    missing = Link.objects.filter(tenant=tenant, missing_since__isnull=False)
    if connection and connection.tripletex_company_id:
        missing = missing.filter(tripletex_company_id=connection.tripletex_company_id)
    return {
        "connection": connection,
        "active": bool(connection and connection.is_active),
        "needs_token": bool(connection and connection.needs_token),
        "missing_rights": missing_rights(connection),
        "imported": _linked_counts(tenant, connection),
        "missing": missing.count(),
    }


def missing_rights(connection: Connection | None) -> list[dict]:
    """The rights the key's Tripletex user lacks, as step 1 or a refusal of Tripletex's last found them."""
    if connection is None:
        return []
    found = connection.rights or {}
    return [{"right": r, **found[r.key]} for r in rights.RIGHTS
            if (found.get(r.key) or {}).get("state") == rights.MISSING]


def _linked_counts(tenant: Tenant, connection: Connection | None) -> list[dict]:
    """How many of each kind are linked to the connected Tripletex company, with the kind's plural label."""
    if not connection or not connection.tripletex_company_id:
        return []
    rows = (
        Link.objects.filter(tenant=tenant, tripletex_company_id=connection.tripletex_company_id)
        .values("kind").annotate(n=Count("id")).order_by("kind")
    )
    return [{"label": LINK_LABELS.get(r["kind"], r["kind"]), "n": r["n"]} for r in rows]


LINK_LABELS = {
    Link.Kind.EMPLOYEE: _("ansatte"), Link.Kind.PROJECT: _("prosjekter"), Link.Kind.WAGE_TYPE: _("lønnsarter"),
    Link.Kind.ACTIVITY: _("aktiviteter"), Link.Kind.CUSTOMER: _("kunder"),
}


def remote_changes_pending(*, tenant: Tenant) -> dict:
    """"Endret i Tripletex" on the Tripletex card: how many changes wait, and the first ones with what
    accepting each would do."""
    from .connectors.remote_changes import outcome

    connection = connection_for(tenant=tenant)
    if connection is None or not connection.is_active:
        return {"count": 0, "changes": []}
    pending = RemoteChange.objects.filter(
        tenant=tenant, tripletex_company_id=connection.tripletex_company_id, state=RemoteChange.State.PENDING,
    ).order_by("kind", "label", "id")
    shown = list(pending[:REMOTE_CHANGES_SHOWN])
    count = len(shown) if len(shown) < REMOTE_CHANGES_SHOWN else pending.count()
    return {"count": count, "changes": [{"change": c, "outcome": outcome(c)} for c in shown]}


def rate_budget_status(*, tenant: Tenant) -> dict | None:
    """The company's share of Tripletex's rate limit: calls in the last hour (by every worker and every
    company here on the same Tripletex company), the limit, what is left of it and when it resets.
    None without an active connection."""
    connection = connection_for(tenant=tenant)
    if connection is None or not connection.is_active:
        return None
    return dataclasses.asdict(budget_for_connection(connection).status())
