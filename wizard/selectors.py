"""Reads for the wizard pages."""
from django.db.models import Count, Q

from integrations.models import ConnectionEvent, Link
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


def finish_summary(*, draft: Draft) -> dict:
    """Per kind, what Ferdigstill will do: created, updated, linked unchanged, skipped by rule, not chosen."""
    rows = Item.objects.filter(draft=draft).values("kind", "action", "selected").annotate(n=Count("id"))
    summary = {k: {"create": 0, "update": 0, "unchanged": 0, "skip": 0, "unselected": 0} for k, _l in Item.Kind.choices}
    for r in rows:
        if r["action"] == Item.Action.SKIP:
            summary[r["kind"]]["skip"] += r["n"]
        elif not r["selected"]:
            summary[r["kind"]]["unselected"] += r["n"]
        else:
            summary[r["kind"]][r["action"]] += r["n"]
    return summary


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
