"""Tripletex → here, one way (seed 002): customers created or changed since the last successful import.

The list is read with `changedSince` from the watermark (which the runner moves only when the run
succeeds) less a safety margin, so a customer saved in Tripletex while the previous import read is not
lost; the overlap brings a few customers twice, and they are logged as unchanged. Tripletex has been seen
to ignore `changedSince`: a customer whose version is the one we already imported, from before the
margin, is then skipped by its version, and the run says so once.

Each customer is linked (`Link`, kind customer) to ours by its Tripletex id; a customer new to us is
matched by customer number before one is created, so customers already here are not doubled.
"""
from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from commerce.models import PaymentTerms
from hr.models import Customer

from ...models import Link, SyncRecord, SyncRun
from ..base import SyncContext, fields_hash
from . import rules

logger = logging.getLogger("integrations.connectors")

CUSTOMER = Link.Kind.CUSTOMER
IN = SyncRecord.Direction.FROM_TRIPLETEX
Action = SyncRecord.Action
SAFETY_MARGIN = dt.timedelta(minutes=5)
FIELDS = ("id,version,customerNumber,name,isInactive,organizationNumber,currency(code),invoicesDueIn,"
          "invoicesDueInType,postalAddress(addressLine1,postalCode,city,country(isoAlpha2Code)),phoneNumber,email,"
          "website")
# Our model's fields, in the order the seed lists them; `status` carries "aktiv".
IMPORTED = ("customer_number", "name", "status", "org_number", "currency", "payment_terms_days", "address",
            "postal_code", "city", "country", "phone", "email", "website")


def reconcile(ctx: SyncContext) -> None:
    customers_import(ctx)
    if ctx.options.get("journal_daily"):
        from commerce.services import invoice_journals_daily

        from .journal import journal_send_request

        for journal in invoice_journals_daily(tenant=ctx.tenant, today=timezone.localdate()):
            if journal.status == journal.Status.OPEN:  # a failed one waits for «Prøv igjen»
                journal_send_request(journal=journal, trigger=SyncRun.Trigger.SCHEDULE)


def customers_import(ctx: SyncContext) -> None:
    since = ctx.config.watermark - SAFETY_MARGIN if ctx.config.watermark else None
    params = {"changedSince": since.astimezone(dt.UTC).replace(microsecond=0)} if since else {}
    counts = {"ignored": 0}
    offset, size = 0, ctx.client.page_size
    while True:
        body = ctx.client.list_page("/customer", params=params, fields=FIELDS, sorting="id", offset=offset,
                                    count=size) or {}
        values = list(body.get("values") or ())
        offset += len(values)
        if values:
            _apply_page(ctx, values, since, counts)
        total = body.get("fullResultSize")
        if len(values) < size or (isinstance(total, int) and offset >= total):
            break
    if counts["ignored"]:
        logger.warning("tenant %s: Tripletex returned %d customers unchanged since %s; changedSince looks ignored",
                       ctx.tenant.id, counts["ignored"], since.isoformat())
        ctx.run.summary = {**(ctx.run.summary or {}), "changed_since_ignored": counts["ignored"]}
        ctx.record(kind=CUSTOMER, action=Action.SKIPPED, direction=IN, label=_("Kunder uten endring"),
                   rule=rules.CHANGED_SINCE_IGNORED,
                   message=_("%(count)s kunder var ikke endret siden forrige import og ble hoppet over.")
                   % {"count": counts["ignored"]})


def customer_values(obj: dict) -> dict:
    """The seed's fields of one Tripletex customer, as our model holds them."""
    address = obj.get("postalAddress") or {}
    values = {
        "customer_number": _text(obj.get("customerNumber")),
        "name": _text(obj.get("name")),
        "status": Customer.Status.INACTIVE if obj.get("isInactive") else Customer.Status.ACTIVE,
        "org_number": _text(obj.get("organizationNumber")),
        "address": _text(address.get("addressLine1")),
        "postal_code": _text(address.get("postalCode")),
        "city": _text(address.get("city")),
        "country": _text((address.get("country") or {}).get("isoAlpha2Code")).upper(),
        "phone": _text(obj.get("phoneNumber")),
        "email": _text(obj.get("email")),
        "website": _text(obj.get("website")),
    }
    code = _text((obj.get("currency") or {}).get("code")).upper()
    if code:
        values["currency"] = code
    # Only a number of days is kept here; a term in months or "day of month" has no days to keep.
    if obj.get("invoicesDueInType") in (None, "", "DAYS") and isinstance(obj.get("invoicesDueIn"), int):
        values["payment_terms_days"] = max(0, obj["invoicesDueIn"])
    return {name: _fit(name, value) for name, value in values.items()}


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _fit(name: str, value):
    # Tripletex allows longer texts than some of our columns; cut rather than fail the whole page.
    if isinstance(value, str):
        return value[:Customer._meta.get_field(name).max_length]
    return value


def _apply_page(ctx: SyncContext, objects: list[dict], since: dt.datetime | None, counts: dict) -> None:
    ids = [o["id"] for o in objects]
    with transaction.atomic():
        ctx.hold()
        links = {link.tripletex_id: link for link in Link.objects.select_for_update().filter(
            tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=CUSTOMER, tripletex_id__in=ids)}
        rows = Customer.objects.in_bulk([link.local_id for link in links.values()])
        numbers = {_text(o.get("customerNumber")) for o in objects} - {""}
        linked_ids = set(Link.objects.filter(tenant=ctx.tenant, tripletex_company_id=ctx.company_id,
                                             kind=CUSTOMER).values_list("local_id", flat=True))
        by_number = {c.customer_number: c for c in Customer.objects.filter(
            tenant=ctx.tenant, customer_number__in=numbers).exclude(status=Customer.Status.DELETED)
            if c.id not in linked_ids}
        terms = set(PaymentTerms.objects.filter(tenant=ctx.tenant).values_list("days", flat=True))
        now = timezone.now()
        for obj in objects:
            link = links.get(obj["id"])
            if (since is not None and link is not None and link.tripletex_version == obj.get("version")
                    and link.synced_at is not None and link.synced_at < since):
                counts["ignored"] += 1  # changedSince should not have sent it: unchanged, by its version
                continue
            _apply_one(ctx, obj, link, rows.get(link.local_id) if link else None, by_number, terms, now)


def _apply_one(ctx, obj: dict, link: Link | None, row: Customer | None, by_number: dict, terms: set, now) -> None:
    values = customer_values(obj)
    label = f"{values['customer_number']} {values['name']}".strip()
    rule = rules.CUSTOMER_UPDATED
    if row is None:
        row = by_number.pop(values["customer_number"], None) if values["customer_number"] else None
        if row is not None:
            rule = rules.CUSTOMER_MATCHED
    created = row is None
    if created:
        row = Customer(tenant=ctx.tenant, **values)
        changed = list(values)
        rule = rules.CUSTOMER_CREATED
    else:
        changed = [name for name in IMPORTED if name in values and getattr(row, name) != values[name]]
        for name in changed:
            setattr(row, name, values[name])
    if changed:
        row.save()
    notes = []
    days = values.get("payment_terms_days")
    if days is not None and days not in terms and (created or "payment_terms_days" in changed):
        PaymentTerms.objects.create(tenant=ctx.tenant, name=_("%(days)s dager") % {"days": days}, days=days)
        terms.add(days)
        notes.append(_("Betalingsbetingelsen «%(days)s dager» fantes ikke her og er opprettet.") % {"days": days})
    if link is None:
        link = Link.objects.filter(tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=CUSTOMER,
                                   local_id=row.id).first() or Link(
            tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=CUSTOMER, local_id=row.id)
    link.tripletex_id, link.tripletex_version, link.state = obj["id"], obj.get("version"), Link.State.LINKED
    link.synced_values, link.synced_at = values, now
    link.remote_hash = fields_hash(values)
    link.save()
    if created:
        action = Action.CREATED
    elif changed:
        action = Action.UPDATED
        notes.insert(0, _("Endret: %(fields)s.") % {"fields": ", ".join(
            str(Customer._meta.get_field(name).verbose_name) for name in changed)})
    else:
        action = Action.UNCHANGED
        rule = rules.CUSTOMER_MATCHED if rule == rules.CUSTOMER_MATCHED else rules.CUSTOMER_UNCHANGED
    ctx.record(kind=CUSTOMER, action=action, direction=IN, local_id=row.id, tripletex_id=obj["id"], label=label,
               rule=rule, message=" ".join(notes))
