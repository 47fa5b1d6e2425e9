"""Our activities linked to Tripletex's (seed 004: "Opprette aktiviteter i Tripletex basert på timesats").

The wizard does not fetch activities, so an activity is linked the first time hours on it go to Tripletex:
matched by number, then by name, and created from its hourly rate when Tripletex has none; the link is kept.
"""
from __future__ import annotations

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction

from hr.models import Activity
from tenants.models import Tenant

from ..models import Connection, Link
from ..tripletex import Forbidden, InDoubt, RateLimited, TripletexClient, TripletexError, Unauthorized

logger = logging.getLogger("integrations.connectors.activities")

FIELDS = "id,version,number,name,isDisabled,isProjectActivity,isGeneral"


def activity_link(*, tenant: Tenant, client: TripletexClient, company_id: int, activity_id: int) -> int | None:
    """The Tripletex id our activity is linked to, found or created now if need be; None if that failed.

    Raises `RateLimited` and `Unauthorized`, so the caller can give the worker back or wait for a new key; any
    other Tripletex error leaves the activity unlinked (logged) and the hours on it held. A 403 is recorded
    as the key's user lacking the right to activities.
    """
    link = _link(tenant=tenant, company_id=company_id, activity_id=activity_id)
    if link is not None:
        return link
    activity = Activity.objects.filter(tenant=tenant, id=activity_id).first()
    if activity is None:
        return None
    try:
        found = _find(client, activity)
        if found is None:
            body = {"name": activity.name, "activityType": "PROJECT_GENERAL_ACTIVITY",
                    "isChargeable": bool(activity.hourly_rate), "rate": activity.hourly_rate or Decimal(0)}
            if activity.number:
                body["number"] = activity.number
            try:
                found = client.activity_create(body)
            except InDoubt:
                found = _find(client, activity)
    except (RateLimited, Unauthorized):
        raise
    except TripletexError as exc:
        logger.warning("activity %s could not be linked: %s", activity_id, exc)
        if isinstance(exc, Forbidden):
            from ..services import connection_right_refused

            connection = Connection.objects.filter(tenant=tenant).first()
            if connection is not None:
                connection_right_refused(connection=connection, exc=exc)
        return None
    if not found:
        return None
    try:
        with transaction.atomic():
            Link.objects.create(tenant=tenant, kind=Link.Kind.ACTIVITY, local_id=activity.id,
                                tripletex_company_id=company_id, tripletex_id=found["id"],
                                tripletex_version=found.get("version"))
    except IntegrityError:  # another worker linked it first; theirs stands
        pass
    return _link(tenant=tenant, company_id=company_id, activity_id=activity_id)


def _link(*, tenant: Tenant, company_id: int, activity_id: int) -> int | None:
    return Link.objects.filter(tenant=tenant, kind=Link.Kind.ACTIVITY, local_id=activity_id,
                               tripletex_company_id=company_id).values_list("tripletex_id", flat=True).first()


def _find(client: TripletexClient, activity: Activity) -> dict | None:
    if activity.number:
        hits = [a for a in client.activity_list(number=activity.number, fields=FIELDS)
                if str(a.get("number")) == activity.number and not a.get("isDisabled")]
        if hits:
            return hits[0]
    hits = [a for a in client.activity_list(name=activity.name, fields=FIELDS)
            if (a.get("name") or "").strip().lower() == activity.name.strip().lower() and not a.get("isDisabled")]
    # A general (non-project) activity cannot carry project hours in Tripletex.
    hits.sort(key=lambda a: not a.get("isProjectActivity", True))
    return hits[0] if hits else None
