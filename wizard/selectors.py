"""Reads for the wizard pages."""
import datetime as dt

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth

from integrations import rights
from integrations.hours.outbox import hour_transfers_waiting
from integrations.models import Connection, ConnectionEvent, Link
from tenants.models import Tenant

from .models import Draft, Item


def list_counts(*, draft: Draft, kind: str) -> dict:
    return Item.objects.filter(draft=draft, kind=kind).aggregate(
        total=Count("id"),
        selected=Count("id", filter=Q(selected=True)),
        create=Count("id", filter=Q(action=Item.Action.CREATE)),
        update=Count("id", filter=Q(action=Item.Action.UPDATE)),
        unchanged=Count("id", filter=Q(action=Item.Action.UNCHANGED)),
        skip=Count("id", filter=Q(action=Item.Action.SKIP)),
    )


def linked(draft: Draft) -> Exists:
    """Whether an item's Tripletex object is linked now, for `.annotate(linked=…)` on the draft's items.

    Item kinds are Link kinds (activation.LINK_KINDS maps each to itself), so the kind is compared as is.
    """
    return Exists(Link.objects.filter(
        tenant=draft.tenant, tripletex_company_id=draft.tripletex_company_id, kind=OuterRef("kind"),
        tripletex_id=OuterRef("tripletex_id"),
    ))


def finish_summary(*, draft: Draft) -> dict:
    """Per kind, what Ferdigstill will do: created, updated, linked unchanged, unlinked (linked but no longer
    chosen), not chosen, skipped by rule."""
    rows = (
        Item.objects.filter(draft=draft).annotate(is_linked=linked(draft))
        .values("kind", "action", "selected", "is_linked").annotate(n=Count("id")).order_by()
    )
    summary = {
        k: {"create": 0, "update": 0, "unchanged": 0, "unlink": 0, "skip": 0, "unselected": 0}
        for k, _l in Item.Kind.choices
    }
    for r in rows:
        if r["action"] == Item.Action.SKIP:
            summary[r["kind"]]["skip"] += r["n"]
        elif not r["selected"]:
            summary[r["kind"]]["unlink" if r["is_linked"] else "unselected"] += r["n"]
        else:
            summary[r["kind"]][r["action"]] += r["n"]
    return summary


def hours_waiting(*, tenant: Tenant, refresh: bool) -> dict:
    """The approved hours Ferdigstill would let go to Tripletex: how many, how long, from which dates, per month."""
    rows = hour_transfers_waiting(tenant=tenant, include_pending=not refresh)
    span = rows.aggregate(first=Min("slot__date"), last=Max("slot__date"))
    months = list(
        rows.annotate(month=TruncMonth("slot__date")).values("month")
        .annotate(entries=Count("id"), hours=Sum("hours")).order_by("month")
    )
    return {
        "entries": sum(m["entries"] for m in months), "hours": sum(m["hours"] for m in months),
        "first": span["first"], "last": span["last"], "months": months,
    }


def skip_reasons(*, draft: Draft, kind: str) -> list[dict]:
    return list(
        Item.objects.filter(draft=draft, kind=kind, action=Item.Action.SKIP)
        .values("skip_reason").annotate(n=Count("id")).order_by("-n")
    )


def missing_links(*, draft: Draft) -> dict:
    """Per kind, how many objects linked before are not in Tripletex any more."""
    result = {}
    for kind, _label in Item.Kind.choices:
        fetched = Item.objects.filter(draft=draft, kind=kind).values("tripletex_id")
        result[kind] = Link.objects.filter(
            tenant=draft.tenant, tripletex_company_id=draft.tripletex_company_id, kind=kind
        ).exclude(tripletex_id__in=fetched).count()
    return result


def history(*, tenant: Tenant):
    return ConnectionEvent.objects.filter(tenant=tenant).select_related("by", "run")


def key_rights(*, draft: Draft | None, connection: Connection | None) -> list[dict] | None:
    """Step 1's checklist: per right, what the check of the draft's key found (None while it runs). For the
    stored key, a write Tripletex refused since weighs more than a read that worked."""
    if draft is None or draft.rights_checked_at is None:
        return None
    learnt = connection.rights if connection is not None and not draft.employee_token else {}
    rows = []
    for right in rights.RIGHTS:
        found = draft.rights.get(right.key) or rights.result(rights.UNKNOWN, at=draft.rights_checked_at)
        refused = learnt.get(right.key) or {}
        if found["state"] == rights.OK and refused.get("state") == rights.MISSING:
            found = refused
        rows.append({**found, "right": right, "at": dt.datetime.fromisoformat(found["at"])})
    return rows
