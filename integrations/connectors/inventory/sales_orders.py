"""A booked (issued) customer invoice here → a sales order draft ("salgsordrekladd") in Tripletex (seed 003).

We only create the order, with its lines and project; we never invoice it: the company turns it into an
invoice in Tripletex and sends it from there (EHF or e-mail). The order is linked to our invoice
(`Link.Kind.SALES_ORDER`), so it is made once; a create whose answer was lost is looked up by its number
and customer before it is sent again. The customer and the products on its lines are sent first when
they are not linked yet (as if they had just changed here); the project must come from Tripletex.
"""
from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from commerce.models import Invoice

from ...models import Link, OutboundChange, SyncRecord
from ...tripletex import RateLimited, TripletexError, Unauthorized
from ..base import SyncContext
from ..master_data import rules as md_rules
from . import push
from .rules import CUSTOMER, PRODUCT

Action = SyncRecord.Action
OUT = SyncRecord.Direction.TO_TRIPLETEX
INVOICE, SALES_ORDER, PROJECT = Link.Kind.INVOICE, Link.Kind.SALES_ORDER, Link.Kind.PROJECT

ORDER_DRAFT = gettext_lazy("Bokført faktura → salgsordrekladd i Tripletex med linjene og prosjektet; den "
                           "faktureres i Tripletex, ikke av oss")
ALREADY_SENT = gettext_lazy("Allerede sendt: hver bokførte faktura blir én salgsordrekladd")
FOUND_AFTER_DOUBT = gettext_lazy("Fantes allerede i Tripletex med vårt ordrenummer etter et svar som uteble: "
                                 "koblet, ikke sendt igjen")
ALREADY_A_VOUCHER = gettext_lazy("Allerede sendt til Tripletex som bilag av «Faktura og innbetalinger»: ikke "
                                 "sendt som ordre også, det ville ført salget to ganger")
# The seed's advice to whoever opens the draft in Tripletex (shown on the invoice page).
ONLY_CHANGE_THE_PRICE = gettext_lazy(
    "Salgsordrekladden kan endres i Tripletex, men endre helst bare prisen: legger du til nye varer der, "
    "stemmer ikke lagerbeholdningen her lenger. Gjør ordren om til faktura i Tripletex og send den med EHF "
    "eller e-post."
)
# Seed 003, for a Tripletex demo company: said in these words whenever Tripletex refuses for that reason.
NEEDS_BANK_ACCOUNT = gettext_lazy(
    "For å kunne overføre fakturaer til Tripletex må du oppgi bankopplysningene dine i Tripletex: "
    "bankkontonummer (Virksomhet → Virksomhetsopplysninger → Fakturakonto) og organisasjonsnummer "
    "(Virksomhet → Virksomhetsopplysninger). Trykk «Prøv igjen» når det er gjort."
)


class Refused(Exception):
    """Something here stops the send; `message` says what to fix, in the admin's words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def handle_invoice(ctx: SyncContext, change: OutboundChange) -> None:
    invoice = Invoice.objects.filter(tenant=ctx.tenant, id=change.local_id).select_related(
        "customer", "project").first()
    if invoice is None or invoice.is_draft:
        return
    log = push._Log(ctx, INVOICE, invoice.id, str(invoice))
    send_logged(log, lambda: _send(ctx, invoice, log))


def send_logged(log, send) -> None:
    """Run one record's send; a refusal (ours, or Tripletex's in the admin's words) is its log line.

    A Tripletex failure is re-raised marked as logged, so the platform retries it without logging it twice;
    a rate limit or a refused key is the platform's to handle."""
    try:
        send()
    except Refused as exc:
        log(Action.FAILED, message=exc.message)
    except (RateLimited, Unauthorized):
        raise
    except TripletexError as exc:
        log(Action.FAILED, message=refusal_words(exc), request_id=exc.request_id or "")
        exc.logged = True
        raise


def needs_bank_account(exc: TripletexError) -> bool:
    text = f"{exc.message} {' '.join(exc.validation.values())} {exc.developer_message or ''}".lower()
    return any(w in text for w in ("bankkonto", "bank account", "bankaccount", "organisasjonsnummer",
                                   "organization number"))


def refusal_words(exc: TripletexError) -> str:
    fields = "; ".join(f"{f}: {m}" if f else m for f, m in exc.validation.items())
    theirs = f"{exc.message} ({fields})" if fields and fields not in exc.message else exc.message
    if needs_bank_account(exc):
        return f"{NEEDS_BANK_ACCOUNT} " + _("Tripletex sier: %(theirs)s") % {"theirs": theirs}
    return theirs


def _send(ctx: SyncContext, invoice: Invoice, log) -> None:
    voucher = push._link(ctx, INVOICE, invoice.id)
    if voucher is not None:
        log.tripletex_id = voucher.tripletex_id
        log(Action.SKIPPED, rule=ALREADY_A_VOUCHER)
        return
    link = push._link(ctx, SALES_ORDER, invoice.id)
    if link is not None:
        log.tripletex_id = link.tripletex_id
        log(Action.UNCHANGED, rule=ALREADY_SENT)
        return
    body = _order_body(ctx, invoice)
    rule = ORDER_DRAFT
    found = _find(ctx, body) if push._in_doubt(ctx, INVOICE, invoice.id) else None
    if found is not None:
        order, rule = found, FOUND_AFTER_DOUBT
    else:
        push._mark_in_doubt(ctx, INVOICE, invoice.id)
        order = ctx.client.order_create(body)
    link = push._link_new(ctx, SALES_ORDER, invoice, order, agreed={"number": body["number"]})
    log.tripletex_id = link.tripletex_id
    log(Action.CREATED, rule=rule)


def _order_body(ctx: SyncContext, invoice: Invoice) -> dict:
    body = {
        "customer": {"id": _customer_id(ctx, invoice)},
        "number": str(invoice.number),
        "orderDate": (invoice.order_date or invoice.invoice_date).isoformat(),
        "deliveryDate": (invoice.delivery_date or invoice.invoice_date).isoformat(),
        "invoicesDueIn": max(0, ((invoice.due_date or invoice.invoice_date) - invoice.invoice_date).days),
        "invoicesDueInType": "DAYS",
        "invoiceComment": _("Faktura %(number)s") % {"number": invoice.number},
    }
    if invoice.project_id:
        body["project"] = {"id": project_id(ctx, invoice.project)}
    if invoice.currency.upper() != "NOK":
        currencies = ctx.cache.get("currencies")
        if currencies is None:
            currencies = ctx.cache["currencies"] = {
                c["code"]: c["id"] for c in ctx.client.list_all("/currency", fields="id,code")}
        if invoice.currency.upper() not in currencies:
            raise Refused(_("Valutaen %(code)s finnes ikke i Tripletex.") % {"code": invoice.currency})
        body["currency"] = {"id": currencies[invoice.currency.upper()]}
    vat_types = push._vat_types(ctx)
    lines = []
    for line in invoice.lines.select_related("product"):
        if line.vat_code not in vat_types:
            raise Refused(_("Mva-koden %(code)s finnes ikke i Tripletex.") % {"code": line.vat_code})
        order_line = {"description": line.description, "count": float(line.quantity),
                      "unitPriceExcludingVatCurrency": float(line.unit_price),
                      "vatType": {"id": vat_types[line.vat_code]}}
        product_id = _product_id(ctx, line.product) if line.product_id else None
        if product_id is not None:
            order_line["product"] = {"id": product_id}
        lines.append(order_line)
    body["orderLines"] = lines
    return body


def _find(ctx: SyncContext, body: dict) -> dict | None:
    day = dt.date.fromisoformat(body["orderDate"])
    orders = ctx.client.order_list(order_date_from=day, order_date_to=day + dt.timedelta(days=1),
                                   number=body["number"], customer_id=body["customer"]["id"],
                                   fields="id,version,number")
    return next((o for o in orders if str(o.get("number")) == body["number"]), None)


# --- what the order refers to: sent first when not linked yet ---------------------------------------------

def linked(ctx: SyncContext, kind: str, row) -> Link | None:
    """The row's link, after sending the row now if it has none (logged as its own record)."""
    link = push._link(ctx, kind, row.id)
    if link is None:
        push._send(ctx, kind, row, None, push._Log(ctx, kind, row.id, push.rules.label(kind, row)))
        link = push._link(ctx, kind, row.id)
    return link if link is not None and link.state == Link.State.LINKED else None


def _customer_id(ctx: SyncContext, invoice: Invoice) -> int:
    customer = invoice.customer
    link = linked(ctx, CUSTOMER, customer)
    if link is None:
        if md_rules.outbound_skip(CUSTOMER, customer) == str(md_rules.CUSTOMER_NUMBER_NOT_DIGITS):
            raise Refused(_("Kunden «%(name)s» har ikke et kundenummer med bare sifre, som Tripletex krever.")
                          % {"name": customer.name})
        why = push._link(ctx, CUSTOMER, customer.id)
        reason = why.get_state_display() if why is not None else md_rules.outbound_skip(CUSTOMER, customer)
        raise Refused(_("Kunden «%(name)s» kan ikke sendes til Tripletex: %(reason)s. Rett det og trykk "
                        "«Prøv igjen».") % {"name": customer.name, "reason": reason or "–"})
    return link.tripletex_id


def _product_id(ctx: SyncContext, product) -> int | None:
    key = ("product_id", product.id)
    if key not in ctx.cache:
        link = linked(ctx, PRODUCT, product)
        ctx.cache[key] = link.tripletex_id if link is not None else None
    return ctx.cache[key]


def project_id(ctx: SyncContext, project) -> int:
    """Projects come from Tripletex (seed 003): the one with exactly our number, linked on first use."""
    link = push._link(ctx, PROJECT, project.id)
    if link is not None and link.state == Link.State.LINKED:
        return link.tripletex_id
    hits = ctx.client.project_list(number=project.number, fields="id,version,number") if project.number else []
    obj = next((h for h in hits if str(h.get("number")) == project.number), None)
    if obj is None:
        raise Refused(_("Prosjekt %(number)s «%(name)s» finnes ikke i Tripletex. Opprett det der og trykk "
                        "«Prøv igjen».") % {"number": project.number or "–", "name": project.name})
    if link is None:
        push._link_new(ctx, PROJECT, project, obj, agreed={})
    return obj["id"]

