"""Seed 000's rules for the two-way sync, and the field mapping between our rows and Tripletex's objects.

Both directions compare the same thing: a row's *synced values*, a dict in our field names. Our row gives
them through `local_values`, Tripletex's object through `remote_values`; a link keeps the values both sides
last agreed on (`Link.synced_values`) and a hash of each side, so a change that comes back from the side we
just wrote is recognised as our own echo (no ping-pong), and a field changed on both sides is found.

Rules the seed is silent on (chosen here, shown in the connector's description and named in the log):
- The same field changed on both sides since the last sync: Tripletex's value wins (the books are kept
  there); a field changed on one side only goes the other way as usual.
- A number that already exists on the other side without a link: the two are linked, not duplicated, and
  Tripletex's values are kept on that first link (we never overwrite what we did not write).
- An employee deleted in Tripletex: the link is ended and our employee kept as is (hours hang on them).
"""
from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from ...models import Link
from ..base import fields_hash

PROJECT, CUSTOMER, EMPLOYEE = Link.Kind.PROJECT, Link.Kind.CUSTOMER, Link.Kind.EMPLOYEE

# --- the seed's rules, in the admin's words ------------------------------------------------------------
# Projects
PROJECT_NO_START_DATE = _("Prosjekt uten startdato synkroniseres ikke: Tripletex krever startdato")
PROJECT_SUBPROJECT = _(
    "Underprosjekter synkroniseres ikke: Tripletex krever unike prosjektnummer, her kan de gjentas"
)
PROJECT_INTERNAL_FROM_TRIPLETEX = _("Interne prosjekter opprettet i Tripletex synkroniseres ikke")
PROJECT_COMPLETED_HERE = _("Prosjekt fullført her → avsluttet i Tripletex")
PROJECT_DELETED_HERE = _("Prosjekt slettet her: ingenting skjer i Tripletex")
PROJECT_CLOSED_IN_TRIPLETEX = _("Prosjekt avsluttet i Tripletex → fullført her")
PROJECT_DELETED_IN_TRIPLETEX = _("Prosjekt slettet i Tripletex → fullført her")
# Customers
CUSTOMER_NUMBER_NOT_DIGITS = _("Kun kunder med tall som kundenummer synkroniseres")
CUSTOMER_INACTIVE = _("Inaktive kunder synkroniseres ikke")
CUSTOMER_CANNOT_SET_INACTIVE = _(
    "Tripletex tillater ikke at vi setter en kunde til inaktiv: sett kunden inaktiv i Tripletex"
)
CUSTOMER_ACTIVE_HERE = _("Kunde satt til aktiv her → aktiv i Tripletex")
CUSTOMER_DELETED_HERE = _(
    "Kunde slettet her: ikke slettet i Tripletex, og senere endringer der synkroniseres ikke (koblingen er brutt)"
)
CUSTOMER_LINK_BROKEN = _("Koblingen er brutt fordi kunden ble slettet her")
CUSTOMER_INACTIVE_IN_TRIPLETEX = _("Kunde satt til inaktiv i Tripletex → inaktiv her")
CUSTOMER_ACTIVE_IN_TRIPLETEX = _("Kunde satt til aktiv i Tripletex → aktiv her")
CUSTOMER_DELETED_IN_TRIPLETEX = _("Kunde slettet i Tripletex → slettet her")
# Employees
EMPLOYEE_NO_LAST_NAME = _("Ansatte uten etternavn synkroniseres ikke: Tripletex krever etternavn")
EMPLOYEE_INACTIVE = _("Inaktive ansatte synkroniseres ikke til Tripletex: Tripletex har ikke status inaktiv")
EMPLOYEE_NUMBER_GENERATED = _("Ansatt uten ansattnummer i Tripletex: nummer laget her og skrevet tilbake")
# Where the seed is silent
BOTH_CHANGED_TRIPLETEX_WINS = _("Endret begge steder siden sist: Tripletex sin verdi gjelder")
LINKED_BY_NUMBER = _("Fantes fra før på begge sider med samme nummer: koblet, Tripletex sine verdier beholdt")
EMPLOYEE_DELETED_IN_TRIPLETEX = _("Ansatt slettet i Tripletex: koblingen avsluttes, den ansatte beholdes her")

RULES = (
    PROJECT_NO_START_DATE, PROJECT_SUBPROJECT, PROJECT_INTERNAL_FROM_TRIPLETEX, PROJECT_COMPLETED_HERE,
    PROJECT_DELETED_HERE, PROJECT_CLOSED_IN_TRIPLETEX, PROJECT_DELETED_IN_TRIPLETEX,
    CUSTOMER_NUMBER_NOT_DIGITS, CUSTOMER_INACTIVE, CUSTOMER_CANNOT_SET_INACTIVE, CUSTOMER_ACTIVE_HERE,
    CUSTOMER_DELETED_HERE, CUSTOMER_INACTIVE_IN_TRIPLETEX, CUSTOMER_ACTIVE_IN_TRIPLETEX,
    CUSTOMER_DELETED_IN_TRIPLETEX, EMPLOYEE_NO_LAST_NAME, EMPLOYEE_INACTIVE, EMPLOYEE_NUMBER_GENERATED,
    BOTH_CHANGED_TRIPLETEX_WINS, LINKED_BY_NUMBER, EMPLOYEE_DELETED_IN_TRIPLETEX,
)

# --- the synced fields ----------------------------------------------------------------------------------
# Our field names, per kind. `status`/`active` are synced only as the matrices above say; the handlers
# apply those rules, the values here only say what each side holds.
SYNCED_FIELDS = {
    PROJECT: ("number", "name", "start_date", "end_date", "is_internal", "closed"),
    CUSTOMER: ("customer_number", "name", "org_number", "email", "phone", "address", "postal_code", "city",
               "inactive"),
    EMPLOYEE: ("first_name", "last_name", "email", "employee_number"),
}

# What to ask Tripletex for, per kind (narrow `fields` is the biggest speed lever Tripletex has).
TRIPLETEX_FIELDS = {
    PROJECT: "id,version,number,name,startDate,endDate,isInternal,isClosed,mainProject(id),customer(id)",
    CUSTOMER: "id,version,customerNumber,name,organizationNumber,email,phoneNumber,isInactive,"
              "postalAddress(addressLine1,postalCode,city)",
    EMPLOYEE: "id,version,firstName,lastName,email,employeeNumber",
}


def _date(value) -> str | None:
    if value in (None, ""):
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def local_values(kind: str, row) -> dict:
    """Our row (a model instance) → its synced values."""
    if kind == PROJECT:
        return {
            "number": _text(row.number), "name": _text(row.name), "start_date": _date(row.start_date),
            "end_date": _date(row.end_date), "is_internal": bool(row.is_internal),
            "closed": row.status != row.Status.ACTIVE,
        }
    if kind == CUSTOMER:
        return {
            "customer_number": _text(row.customer_number), "name": _text(row.name),
            "org_number": _text(row.org_number), "email": _text(row.email).lower(), "phone": _text(row.phone),
            "address": _text(row.address), "postal_code": _text(row.postal_code), "city": _text(row.city),
            "inactive": row.status != row.Status.ACTIVE,
        }
    if kind == EMPLOYEE:
        return {
            "first_name": _text(row.first_name), "last_name": _text(row.last_name),
            "email": _text(row.email).lower(), "employee_number": _text(row.employee_number),
        }
    raise ValueError(kind)


def remote_values(kind: str, obj: dict) -> dict:
    """Tripletex's object → its synced values, in our field names."""
    if kind == PROJECT:
        return {
            "number": _text(obj.get("number")), "name": _text(obj.get("name")),
            "start_date": _date(obj.get("startDate")), "end_date": _date(obj.get("endDate")),
            "is_internal": bool(obj.get("isInternal")), "closed": bool(obj.get("isClosed")),
        }
    if kind == CUSTOMER:
        address = obj.get("postalAddress") or {}
        return {
            "customer_number": _text(obj.get("customerNumber")), "name": _text(obj.get("name")),
            "org_number": _text(obj.get("organizationNumber")), "email": _text(obj.get("email")).lower(),
            "phone": _text(obj.get("phoneNumber")), "address": _text(address.get("addressLine1")),
            "postal_code": _text(address.get("postalCode")), "city": _text(address.get("city")),
            "inactive": bool(obj.get("isInactive")),
        }
    if kind == EMPLOYEE:
        return {
            "first_name": _text(obj.get("firstName")), "last_name": _text(obj.get("lastName")),
            "email": _text(obj.get("email")).lower(), "employee_number": _text(obj.get("employeeNumber")),
        }
    raise ValueError(kind)


def to_tripletex(kind: str, values: dict) -> dict:
    """Synced values → the fields of a Tripletex body (references such as projectManager are the caller's).

    A customer is never sent as inactive (seed 000: Tripletex does not let us set it); only `isInactive:
    false` goes, when ours is active.
    """
    if kind == PROJECT:
        body = {"number": values["number"], "name": values["name"], "startDate": values["start_date"],
                "isInternal": values["is_internal"], "isClosed": values["closed"]}
        if values.get("end_date"):
            body["endDate"] = values["end_date"]
        return {k: v for k, v in body.items() if v is not None}
    if kind == CUSTOMER:
        body = {"name": values["name"], "organizationNumber": values["org_number"], "email": values["email"],
                "phoneNumber": values["phone"],
                "postalAddress": {"addressLine1": values["address"], "postalCode": values["postal_code"],
                                  "city": values["city"]}}
        if values["customer_number"]:
            body["customerNumber"] = int(values["customer_number"])
        if not values["inactive"]:
            body["isInactive"] = False
        return body
    if kind == EMPLOYEE:
        body = {"firstName": values["first_name"], "lastName": values["last_name"]}
        if values["email"]:
            body["email"] = values["email"]
        if values["employee_number"]:
            body["employeeNumber"] = values["employee_number"]
        return body
    raise ValueError(kind)


def outbound_skip(kind: str, row) -> str:
    """Why our row is not sent to Tripletex (the rule, as the admin reads it), or '' when it is."""
    if kind == PROJECT:
        if row.parent_id:
            return str(PROJECT_SUBPROJECT)
        if not row.start_date:
            return str(PROJECT_NO_START_DATE)
        return ""
    if kind == CUSTOMER:
        if not _text(row.customer_number).isascii() or not _text(row.customer_number).isdigit():
            return str(CUSTOMER_NUMBER_NOT_DIGITS)
        if row.status == row.Status.INACTIVE:
            return str(CUSTOMER_INACTIVE)
        return ""
    if kind == EMPLOYEE:
        if not _text(row.last_name):
            return str(EMPLOYEE_NO_LAST_NAME)
        if not row.active:
            return str(EMPLOYEE_INACTIVE)
        return ""
    raise ValueError(kind)


def inbound_skip_new(kind: str, obj: dict) -> str:
    """Why a Tripletex object that has no link here is not created here, or '' when it is."""
    if kind == PROJECT:
        if obj.get("mainProject"):
            return str(PROJECT_SUBPROJECT)
        if obj.get("isInternal"):
            return str(PROJECT_INTERNAL_FROM_TRIPLETEX)
        return ""
    if kind == CUSTOMER:
        if obj.get("isInactive"):
            return str(CUSTOMER_INACTIVE)
        return ""
    if kind == EMPLOYEE:
        if not _text(obj.get("lastName")):
            return str(EMPLOYEE_NO_LAST_NAME)
        return ""
    raise ValueError(kind)


def changed_fields(values: dict, agreed: dict) -> set[str]:
    """Fields whose value differs from what both sides last agreed on (all of them before a first sync)."""
    return {f for f, v in values.items() if f not in agreed or agreed[f] != v}


def link_agree(link: Link, *, values: dict, local: dict | None = None, remote: dict | None = None) -> None:
    """Record on the link that both sides now hold `values` (unsaved; the caller saves with its other changes)."""
    from django.utils import timezone

    link.synced_values = values
    link.local_hash = fields_hash(local if local is not None else values)
    link.remote_hash = fields_hash(remote if remote is not None else values)
    link.synced_at = timezone.now()


def label(kind: str, values: dict) -> str:
    if kind == PROJECT:
        return f"{values['number']} {values['name']}".strip()
    if kind == CUSTOMER:
        return f"{values['customer_number']} {values['name']}".strip()
    return f"{values['first_name']} {values['last_name']}".strip()
