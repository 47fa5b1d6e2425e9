"""A purchase order made here → a purchase order with its lines in Tripletex (seed 003: "Innkjøpsordre kan også
synkroniseres til Tripletex").

Tripletex numbers a purchase order itself (its `number` is read-only), so ours is written in its internal
comment: that is what a create whose answer was lost is looked up by (among the supplier's orders). Its
lines are created on their own (the order's `orderLines` are read-only), once: the link remembers that
they were sent, and in doubt the order is read to see whether they arrived.
"""
from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from commerce.models import PurchaseOrder

from ...models import Link, OutboundChange, SyncRecord
from ..base import SyncContext
from . import push, sales_orders
from .rules import PRODUCT, SUPPLIER

Action = SyncRecord.Action
PURCHASE_ORDER = Link.Kind.PURCHASE_ORDER

PURCHASE_ORDER_SENT = gettext_lazy("Innkjøpsordre → innkjøpsordre i Tripletex med linjene og prosjektet")
ALREADY_SENT = gettext_lazy("Allerede sendt: hver innkjøpsordre sendes én gang")
FOUND_AFTER_DOUBT = gettext_lazy("Fantes allerede i Tripletex med vårt innkjøpsordrenummer etter et svar som "
                                 "uteble: koblet, ikke sendt igjen")


def marker(order: PurchaseOrder) -> str:
    # Not translated: it is what the order is found again by, whatever language the admin reads.
    return f"GrønnJobb innkjøpsordre {order.number}"


def handle_purchase_order(ctx: SyncContext, change: OutboundChange) -> None:
    order = PurchaseOrder.objects.filter(tenant=ctx.tenant, id=change.local_id).select_related(
        "supplier", "project").first()
    if order is None:
        return
    log = push._Log(ctx, PURCHASE_ORDER, order.id, str(order))
    sales_orders.send_logged(log, lambda: _send(ctx, order, log))


def _send(ctx: SyncContext, order: PurchaseOrder, log) -> None:
    link = push._link(ctx, PURCHASE_ORDER, order.id)
    if link is not None and link.synced_values.get("lines_sent"):
        log.tripletex_id = link.tripletex_id
        log(Action.UNCHANGED, rule=ALREADY_SENT)
        return
    rule = PURCHASE_ORDER_SENT
    lines = _lines(ctx, order)
    if link is None:
        supplier = _supplier_id(ctx, order)
        found = _find(ctx, order, supplier) if push._in_doubt(ctx, PURCHASE_ORDER, order.id) else None
        if found is not None:
            remote, rule = found, FOUND_AFTER_DOUBT
        else:
            body = {"supplier": {"id": supplier}, "deliveryDate": (order.delivery_date or order.order_date).isoformat(),
                    "internalComment": marker(order)}
            if order.comment:
                body["comments"] = order.comment
            if order.project_id:
                body["project"] = {"id": sales_orders.project_id(ctx, order.project)}
            push._mark_in_doubt(ctx, PURCHASE_ORDER, order.id)
            remote = ctx.client.purchase_order_create(body)
        link = push._link_new(ctx, PURCHASE_ORDER, order, remote, agreed={"number": order.number})
    log.tripletex_id = link.tripletex_id
    if link.synced_values.get("sending_lines"):
        there = ctx.client.purchase_order_get(link.tripletex_id, fields="id,orderLines(id)").get("orderLines") or []
        if there:
            lines = []  # they arrived before the answer was lost
    if lines:
        _values(link, sending_lines=True)
        ctx.client.purchase_order_line_create_many([{**line, "purchaseOrder": {"id": link.tripletex_id}}
                                                    for line in lines])
    _values(link, sending_lines=False, lines_sent=True)
    log(Action.CREATED, rule=rule)


def _lines(ctx: SyncContext, order: PurchaseOrder) -> list[dict]:
    out = []
    for line in order.lines.select_related("product"):
        body = {"description": line.description, "count": float(line.quantity),
                "unitCostCurrency": float(line.unit_cost)}
        if line.product_id:
            product = sales_orders.linked(ctx, PRODUCT, line.product)
            if product is not None:
                body["product"] = {"id": product.tripletex_id}
        out.append(body)
    return out


def _supplier_id(ctx: SyncContext, order: PurchaseOrder) -> int:
    link = sales_orders.linked(ctx, SUPPLIER, order.supplier)
    if link is None:
        reason = push.rules.skip_rule(SUPPLIER, order.supplier) or _("ikke koblet")
        raise sales_orders.Refused(_("Leverandøren «%(name)s» kan ikke sendes til Tripletex: %(reason)s. Rett det "
                                     "og trykk «Prøv igjen».") % {"name": order.supplier.name, "reason": reason})
    return link.tripletex_id


def _find(ctx: SyncContext, order: PurchaseOrder, supplier_id: int) -> dict | None:
    found = ctx.client.purchase_order_list(supplier_id=supplier_id, fields="id,version,internalComment")
    return next((o for o in found if o.get("internalComment") == marker(order)), None)


def _values(link: Link, **values) -> None:
    link.synced_values = {**link.synced_values, **values}
    link.save(update_fields=["synced_values", "updated_at"])
