"""Products, customers and suppliers pushed to Tripletex as they change, after an optional start-up copy
from Tripletex (seed 003, Rackbeat): "Varer, kunder og leverandører".

- `rules`: the seed's rules in the admin's words, and the field mapping of products, suppliers, customers.
- `push`: a product, bundle, customer or supplier created or changed here → Tripletex at once (the outbox).
- `sales_orders`: a booked customer invoice → a sales order draft in Tripletex, never invoiced by us.
- `purchase_orders`: a purchase order → a purchase order with its lines in Tripletex.
- `supplier_invoices`: a supplier invoice → a voucher, matched against the purchase order it pays.
- `projects`: projects from Tripletex → here (webhooks and the reconcile), to be chosen on orders.

It sends our customers as the two-way connector (`master_data`) does, and issued invoices as the invoice
connector (`invoices`, as vouchers) and the customer import's journal (`customer_import`, as invoiced
orders, and which also takes customers from Tripletex) do: it excludes all three, so no two connectors
ever own the same rows, and a sale is never booked twice in Tripletex.
"""
from django.utils.translation import gettext_lazy as _

from ...models import Link
from ..base import Connector
from ..registry import register
from . import projects, purchase_orders, push, sales_orders, supplier_invoices
from .rules import RULES


def handle_local_change(ctx, change) -> None:
    if change.kind == Link.Kind.INVOICE:
        sales_orders.handle_invoice(ctx, change)
    elif change.kind == Link.Kind.PURCHASE_ORDER:
        purchase_orders.handle_purchase_order(ctx, change)
    elif change.kind == Link.Kind.SUPPLIER_INVOICE:
        supplier_invoices.handle_supplier_invoice(ctx, change)
    else:
        push.handle_local_change(ctx, change)


CONNECTOR = register(Connector(
    name="inventory",
    title=_("Varer, kunder og leverandører"),
    description=_(
        "Varer, strukturvarer, kunder og leverandører sendes til Tripletex med en gang de opprettes eller endres "
        "her, og er der i løpet av et minutt. Bokførte kundefakturaer blir salgsordrekladder i Tripletex (ikke "
        "fakturaer), innkjøpsordrer sendes med linjene sine, og leverandørfakturaer sendes som bilag og matches mot "
        "innkjøpsordren de betaler. Når integrasjonen slås på, kan du først hente "
        "kunder, leverandører, varer, betalingsbetingelser og ansatte fra Tripletex; etterpå hentes bare "
        "prosjekter derfra, så de kan velges på salgs- og innkjøpsordrer. Hver post kobles på nummeret sitt: "
        "finnes nummeret allerede i Tripletex, kobles posten til den uten å overskrive den. En strukturvare "
        "sendes som én vare med delene i beskrivelsen og innkjøpsprisen summert fra delene, fordi Tripletex' API "
        "ikke kan lagre en vares deler. Kan ikke være på samtidig med «Prosjekter, kunder og ansatte (toveis)», "
        "«Faktura og innbetalinger» eller «Kundeimport og fakturajournal», som eier de samme kundene eller "
        "fakturaene. Synkroniseres ikke: andre ordrer enn bokførte fakturaer, lagerbeholdning og lagerverdi."
    ),
    rules=(*RULES, sales_orders.ORDER_DRAFT, sales_orders.ALREADY_A_VOUCHER, purchase_orders.PURCHASE_ORDER_SENT,
           supplier_invoices.SUPPLIER_INVOICE_SENT, projects.PROJECTS_FROM_TRIPLETEX),
    kinds=(Link.Kind.PRODUCT, Link.Kind.SUPPLIER, Link.Kind.CUSTOMER, Link.Kind.INVOICE, Link.Kind.PURCHASE_ORDER,
           Link.Kind.SUPPLIER_INVOICE),
    events=("project.create", "project.update", "project.delete"),
    excludes=("master_data", "invoices", "customer_import"),
    handle_local_change=handle_local_change,
    handle_remote_change=projects.handle_remote_change,
    reconcile=projects.reconcile,
))
