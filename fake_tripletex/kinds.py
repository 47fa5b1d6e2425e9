"""The object kinds the fake stores: their spec schema, API path and webhook event subject."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    schema: str
    path: str
    event: str | None = None           # webhook subject, e.g. "project" -> project.update
    write_only: tuple[str, ...] = ()   # accepted on write, never returned


KINDS: dict[str, Kind] = {k.name: k for k in [
    Kind("company", "Company", "/company"),
    Kind("department", "Department", "/department", "department"),
    Kind("employee", "Employee", "/employee", "employee"),
    Kind("employment", "Employment", "/employee/employment"),
    Kind("project", "Project", "/project", "project"),
    Kind("activity", "Activity", "/activity", "activity"),
    Kind("salary_type", "SalaryType", "/salary/type"),
    Kind("timesheet_entry", "TimesheetEntry", "/timesheet/entry"),
    Kind("salary_type_spec", "TimesheetSalaryTypeSpecification", "/timesheet/salaryTypeSpecification"),
    Kind("customer", "Customer", "/customer", "customer"),
    Kind("supplier", "Supplier", "/supplier", "supplier"),
    Kind("product", "Product", "/product", "product"),
    Kind("order", "Order", "/order", "order"),
    Kind("orderline", "OrderLine", "/order/orderline"),
    Kind("invoice", "Invoice", "/invoice", "invoice"),
    Kind("payment_type", "PaymentType", "/invoice/paymentType"),
    Kind("voucher", "Voucher", "/ledger/voucher", "voucher"),
    Kind("posting", "Posting", "/ledger/posting"),
    Kind("ledger_account", "Account", "/ledger/account", "account"),
    Kind("vat_type", "VatType", "/ledger/vatType"),
    Kind("currency", "Currency", "/currency"),
    Kind("country", "Country", "/country"),
    Kind("purchase_order", "PurchaseOrder", "/purchaseOrder", "purchaseOrder"),
    Kind("purchase_order_line", "PurchaseOrderline", "/purchaseOrder/orderline"),
    Kind("po_invoice_relation", "PurchaseOrderIncomingInvoiceRelation",
         "/purchaseOrder/purchaseOrderIncomingInvoiceRelation"),
    Kind("document", "Document", "/document"),
    Kind("subscription", "Subscription", "/event/subscription",
         write_only=("authHeaderValue", "hmacSharedSecret")),
]}

BY_SCHEMA: dict[str, Kind] = {k.schema: k for k in KINDS.values()}

EVENTS: dict[str, str] = {}
for _k in KINDS.values():
    if _k.event:
        for _verb, _text in (("create", "created"), ("update", "updated"), ("delete", "deleted")):
            EVENTS[f"{_k.event}.{_verb}"] = f"Fired when a {_k.event} is {_text}."
