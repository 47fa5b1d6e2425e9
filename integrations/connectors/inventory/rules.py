"""Seed 003's rules for what goes to Tripletex, in the admin's words, and the field mapping of products,
suppliers and customers (stored as log rules in Norwegian, translated when the log is shown).

A link keeps, in `synced_values`, the values we last sent (or, for a record that was already in Tripletex,
the values ours had when it was linked): an edit here sends only the fields that differ from them, so a
field someone changed in Tripletex and we did not is never overwritten.
"""
from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from commerce.models import Product, Supplier

from ...models import Link
from ..master_data import rules as md_rules

PRODUCT, SUPPLIER, CUSTOMER = Link.Kind.PRODUCT, Link.Kind.SUPPLIER, Link.Kind.CUSTOMER

# --- the seed's rules ------------------------------------------------------------------------------------
SENT_AT_ONCE = _("Varer, strukturvarer, kunder og leverandører sendes til Tripletex med en gang de opprettes "
                 "eller endres her")
LATEST_ONCE = _("Flere endringer av samme post rett etter hverandre sendes én gang, slik posten er nå")
LINKED_EXISTING = _("Fantes i Tripletex med samme nummer: koblet, ikke overskrevet og ikke laget på nytt. "
                    "Senere endringer her sendes")
FOUND_AFTER_DOUBT = _("Fantes allerede i Tripletex etter et svar som uteble: koblet og oppdatert, ikke laget "
                      "på nytt")
ALREADY_LINKED = _("Fantes i Tripletex, men er allerede koblet til en annen post her: ikke sendt")
ONLY_CHANGED_FIELDS = _("Bare feltene som er endret her sendes: det som er endret i Tripletex, blir stående")
GONE_IN_TRIPLETEX = _("Slettet i Tripletex: ikke laget på nytt")
DELETED_HERE = _("Slettet her: ingenting slettes i Tripletex")
BUNDLE_AS_PRODUCT = _(
    "Strukturvare → én vare i Tripletex med delene og antallene i beskrivelsen og innkjøpsprisen summert fra "
    "delene; salgsprisen er strukturvarens egen, eller summen av delenes når den ikke har en. Tripletex' API "
    "har ingen måte å lagre en vares deler på"
)
SUPPLIER_NUMBER_NOT_DIGITS = _("Kun leverandører med tall som leverandørnummer sendes: Tripletex krever det")
NOT_SYNCED = _("Synkroniseres ikke: andre ordrer enn bokførte fakturaer, lagerbeholdning og lagerverdi")
PRODUCT_NUMBER_MISSING = _("Varer uten varenummer sendes ikke: nummeret er det de kjennes igjen på")

RULES = (
    SENT_AT_ONCE, LATEST_ONCE, LINKED_EXISTING, ONLY_CHANGED_FIELDS, BUNDLE_AS_PRODUCT,
    md_rules.CUSTOMER_NUMBER_NOT_DIGITS, md_rules.CUSTOMER_INACTIVE, SUPPLIER_NUMBER_NOT_DIGITS,
    DELETED_HERE, GONE_IN_TRIPLETEX, ALREADY_LINKED, NOT_SYNCED,
)

# What to ask Tripletex for when a record is looked up by number.
TRIPLETEX_FIELDS = {
    PRODUCT: "id,version,number,name",
    SUPPLIER: "id,version,supplierNumber,name",
    CUSTOMER: md_rules.TRIPLETEX_FIELDS[CUSTOMER],
}


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _money(value: Decimal) -> str:
    # Stored as text in the link's JSON: a float would compare unequal after a round trip.
    return f"{Decimal(value or 0):.2f}"


def bundle_description(product: Product) -> str:
    parts = product.components.select_related("component").order_by("id")
    lines = [f"{part.quantity.normalize():f} × {part.component.number} {part.component.name}" for part in parts]
    return gettext("Strukturvare: %(parts)s") % {"parts": "; ".join(lines)} if lines else ""


def local_values(kind: str, row) -> dict:
    """Our row → the values sent to Tripletex, in our field names."""
    if kind == PRODUCT:
        parts = list(row.components.select_related("component"))
        cost, price = row.cost_price, row.sales_price
        if parts:
            cost = sum((p.component.cost_price * p.quantity for p in parts), Decimal("0"))
            if not price:
                price = sum((p.component.sales_price * p.quantity for p in parts), Decimal("0"))
        return {
            "number": _text(row.number), "name": _text(row.name), "price": _money(price), "cost": _money(cost),
            "vat_code": row.vat_code, "inactive": not row.active, "description": bundle_description(row),
        }
    if kind == SUPPLIER:
        return {
            "supplier_number": _text(row.supplier_number), "name": _text(row.name),
            "org_number": _text(row.org_number), "email": _text(row.email).lower(), "phone": _text(row.phone),
            "city": _text(row.city),
        }
    if kind == CUSTOMER:
        return md_rules.local_values(kind, row)
    raise ValueError(kind)


def number_of(kind: str, values: dict) -> str:
    return values[{PRODUCT: "number", SUPPLIER: "supplier_number", CUSTOMER: "customer_number"}[kind]]


def remote_number(kind: str, obj: dict) -> str:
    return _text(obj.get({PRODUCT: "number", SUPPLIER: "supplierNumber", CUSTOMER: "customerNumber"}[kind]))


def to_tripletex(kind: str, values: dict, *, vat_types: dict[str, int], fields: set[str] | None = None) -> dict:
    """Values (all, or only `fields`) → a Tripletex body."""
    wanted = set(values) if fields is None else fields
    if kind == CUSTOMER:
        body = md_rules.to_tripletex(kind, values)
        keys = {k for f, k in _CUSTOMER_KEYS.items() if f in wanted}
        return {k: v for k, v in body.items() if k in keys}
    body: dict = {}
    for field in wanted:
        value = values[field]
        if kind == PRODUCT:
            if field == "vat_code":
                if value in vat_types:
                    body["vatType"] = {"id": vat_types[value]}
            elif field in ("price", "cost"):
                body[_PRODUCT_KEYS[field]] = float(value)
            else:
                body[_PRODUCT_KEYS[field]] = value
        elif kind == SUPPLIER:
            if field == "supplier_number":
                body["supplierNumber"] = int(value)
            elif field == "city":
                body["postalAddress"] = {"city": value}
            else:
                body[_SUPPLIER_KEYS[field]] = value
    return body


_PRODUCT_KEYS = {"number": "number", "name": "name", "price": "priceExcludingVatCurrency",
                 "cost": "costExcludingVatCurrency", "inactive": "isInactive", "description": "description"}
_SUPPLIER_KEYS = {"name": "name", "org_number": "organizationNumber", "email": "email", "phone": "phoneNumber"}
_CUSTOMER_KEYS = {"customer_number": "customerNumber", "name": "name", "org_number": "organizationNumber",
                  "email": "email", "phone": "phoneNumber", "address": "postalAddress",
                  "postal_code": "postalAddress", "city": "postalAddress", "inactive": "isInactive"}


def skip_rule(kind: str, row) -> str:
    """Why our row is not sent (the rule as the admin reads it), or '' when it is."""
    if kind == PRODUCT:
        return "" if _text(row.number) else str(PRODUCT_NUMBER_MISSING)
    if kind == SUPPLIER:
        number = _text(row.supplier_number)
        return "" if number.isascii() and number.isdigit() and len(number) < 10 else str(SUPPLIER_NUMBER_NOT_DIGITS)
    if kind == CUSTOMER:
        return md_rules.outbound_skip(kind, row)
    raise ValueError(kind)


def label(kind: str, row) -> str:
    if kind == PRODUCT:
        return str(row)
    if kind == SUPPLIER:
        return f"{row.supplier_number} {row.name}".strip()
    return f"{row.customer_number} {row.name}".strip()


MODELS = {PRODUCT: Product, SUPPLIER: Supplier}
