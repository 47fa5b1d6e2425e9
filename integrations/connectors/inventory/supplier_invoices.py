"""A supplier invoice registered here → Tripletex, matched against the purchase order it pays (seed 003:
"Leverandørfakturaer"; "Innkjøpsordre kan … bli matchet mot leverandørfakturaer").

The spec has no create for `/supplierInvoice` (it is read, approved and paid there), so the invoice goes as
what Tripletex books it as: a voucher, the purchase account against the supplier's payable account (2400
Leverandørgjeld) with the incoming VAT type of its rate, so Tripletex posts the deductible VAT itself. Our key
is the voucher's `externalVoucherNumber` ("LF-<our id>"): a create whose answer was lost is looked up by it
on the invoice date. Then, when the invoice pays one of our purchase orders, the order (sent first if need
be) is matched to the voucher with `purchaseOrderIncomingInvoiceRelation`, once.
"""
from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from commerce.models import LedgerAccount, SupplierInvoice

from ...models import Link, OutboundChange, SyncRecord
from ..base import SyncContext
from . import purchase_orders, push, sales_orders
from .rules import SUPPLIER

Action = SyncRecord.Action
SUPPLIER_INVOICE, PURCHASE_ORDER = Link.Kind.SUPPLIER_INVOICE, Link.Kind.PURCHASE_ORDER
# Norwegian standard chart of accounts (NS 4102): the supplier ledger's control account.
PAYABLES_ACCOUNT = 2400
# Our (outgoing) VAT codes → Tripletex's incoming VAT type of the same rate; exempt has none.
INCOMING_VAT = {"3": "1", "31": "11", "33": "13", "5": ""}

SUPPLIER_INVOICE_SENT = gettext_lazy(
    "Leverandørfaktura → bilag i Tripletex (innkjøpskonto mot leverandørgjeld 2400 med inngående mva), matchet "
    "mot innkjøpsordren den betaler"
)
ALREADY_SENT = gettext_lazy("Allerede sendt: hver leverandørfaktura sendes én gang")
FOUND_AFTER_DOUBT = gettext_lazy("Fantes allerede i Tripletex med vårt bilagsnummer etter et svar som uteble: "
                                 "koblet, ikke sendt igjen")


def external_number(invoice: SupplierInvoice) -> str:
    return f"LF-{invoice.id}"


def handle_supplier_invoice(ctx: SyncContext, change: OutboundChange) -> None:
    invoice = SupplierInvoice.objects.filter(tenant=ctx.tenant, id=change.local_id).select_related(
        "supplier", "purchase_order").first()
    if invoice is None:
        return
    log = push._Log(ctx, SUPPLIER_INVOICE, invoice.id, str(invoice))
    sales_orders.send_logged(log, lambda: _send(ctx, invoice, log))


def _send(ctx: SyncContext, invoice: SupplierInvoice, log) -> None:
    link = push._link(ctx, SUPPLIER_INVOICE, invoice.id)
    if link is not None and (link.synced_values.get("matched") or invoice.purchase_order_id is None):
        log.tripletex_id = link.tripletex_id
        log(Action.UNCHANGED, rule=ALREADY_SENT)
        return
    rule = SUPPLIER_INVOICE_SENT
    if link is None:
        found = _find(ctx, invoice) if push._in_doubt(ctx, SUPPLIER_INVOICE, invoice.id) else None
        if found is not None:
            voucher, rule = found, FOUND_AFTER_DOUBT
        else:
            body = _voucher(ctx, invoice)
            push._mark_in_doubt(ctx, SUPPLIER_INVOICE, invoice.id)
            voucher = ctx.client.voucher_create(body, send_to_ledger=True)
        link = push._link_new(ctx, SUPPLIER_INVOICE, invoice, voucher, agreed={})
    log.tripletex_id = link.tripletex_id
    if invoice.purchase_order_id:
        _match(ctx, invoice, link)
    log(Action.CREATED, rule=rule)


def _voucher(ctx: SyncContext, invoice: SupplierInvoice) -> dict:
    supplier = sales_orders.linked(ctx, SUPPLIER, invoice.supplier)
    if supplier is None:
        reason = push.rules.skip_rule(SUPPLIER, invoice.supplier) or _("ikke koblet")
        raise sales_orders.Refused(_("Leverandøren «%(name)s» kan ikke sendes til Tripletex: %(reason)s. Rett det "
                                     "og trykk «Prøv igjen».") % {"name": invoice.supplier.name, "reason": reason})
    purchases, payables = _accounts(ctx, invoice)
    day = invoice.invoice_date.isoformat()
    description = _("Leverandørfaktura %(number)s %(supplier)s") % {"number": invoice.invoice_number,
                                                                  "supplier": invoice.supplier.name}
    gross = float(invoice.amount_gross)
    expense = {"row": 1, "date": day, "description": description, "account": {"id": purchases},
               "amountGross": gross, "amountGrossCurrency": gross}
    vat_number = INCOMING_VAT.get(invoice.vat_code, "")
    if vat_number:
        vat_types = {str(v["number"]): v["id"] for v in ctx.client.vat_type_list(fields="id,number")}
        if vat_number not in vat_types:
            raise sales_orders.Refused(_("Mva-koden %(code)s finnes ikke i Tripletex.") % {"code": vat_number})
        expense["vatType"] = {"id": vat_types[vat_number]}
    payable = {"row": 2, "date": day, "description": description, "account": {"id": payables},
               "supplier": {"id": supplier.tripletex_id}, "amountGross": -gross, "amountGrossCurrency": -gross,
               "invoiceNumber": invoice.invoice_number}
    if invoice.due_date:
        payable["termOfPayment"] = invoice.due_date.isoformat()
    return {"date": day, "description": description, "externalVoucherNumber": external_number(invoice),
            "vendorInvoiceNumber": invoice.invoice_number, "postings": [expense, payable]}


def _accounts(ctx: SyncContext, invoice: SupplierInvoice) -> tuple[int, int]:
    ours = LedgerAccount.objects.filter(tenant=ctx.tenant, role=LedgerAccount.Role.PURCHASES)
    account = ours.filter(vat_code=invoice.vat_code).first() or ours.filter(vat_code="").first()
    if account is None or not account.tripletex_number:
        raise sales_orders.Refused(_("Kontoplanen mangler en konto for «%(role)s»%(vat)s. Legg den til i Kontoplan "
                                     "og trykk «Prøv igjen».") % {"role": LedgerAccount.Role.PURCHASES.label,
                                                                  "vat": ""})
    numbers = [int(account.tripletex_number), PAYABLES_ACCOUNT]
    found = {int(a["number"]): a["id"] for a in ctx.client.ledger_account_list(numbers=numbers, fields="id,number")}
    for number in numbers:
        if number not in found:
            raise sales_orders.Refused(_("Konto %(theirs)s finnes ikke i Tripletex (koblet fra vår konto %(number)s "
                                         "%(name)s). Rett det i Kontoplan og trykk «Prøv igjen».") % {
                "theirs": number, "number": account.number, "name": account.name})
    return found[numbers[0]], found[PAYABLES_ACCOUNT]


def _find(ctx: SyncContext, invoice: SupplierInvoice) -> dict | None:
    vouchers = ctx.client.voucher_list(date_from=invoice.invoice_date,
                                       date_to=invoice.invoice_date + dt.timedelta(days=1),
                                       fields="id,version,externalVoucherNumber")
    return next((v for v in vouchers if v.get("externalVoucherNumber") == external_number(invoice)), None)


def _match(ctx: SyncContext, invoice: SupplierInvoice, link: Link) -> None:
    """The purchase order the invoice pays, matched against its voucher in Tripletex (the order sent first)."""
    order = invoice.purchase_order
    order_link = push._link(ctx, PURCHASE_ORDER, order.id)
    if order_link is None or not order_link.synced_values.get("lines_sent"):
        purchase_orders._send(ctx, order, push._Log(ctx, PURCHASE_ORDER, order.id, str(order)))
        order_link = push._link(ctx, PURCHASE_ORDER, order.id)
    if link.synced_values.get("matching"):
        there = ctx.client.purchase_order_invoice_relation_list(order_out_id=order_link.tripletex_id,
                                                                 fields="id,voucher(id)")
        if any((r.get("voucher") or {}).get("id") == link.tripletex_id for r in there):
            purchase_orders._values(link, matching=False, matched=True)
            return
    purchase_orders._values(link, matching=True)
    ctx.client.purchase_order_invoice_relation_create(purchase_order_id=order_link.tripletex_id,
                                                      voucher_id=link.tripletex_id)
    purchase_orders._values(link, matching=False, matched=True)
