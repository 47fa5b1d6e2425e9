"""Customers, suppliers, products, orders, invoices and purchase orders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ..paging import Progress
from .base import Fields, ResourceBase


class CustomerMixin(ResourceBase):
    def customer_list(
        self,
        *,
        customer_numbers: Iterable[int | str] | None = None,
        organization_number: str | None = None,
        is_inactive: bool | None = None,
        changed_since: dt.datetime | dt.date | str | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        params: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> list[dict]:
        """Tripletex has been seen to ignore `changedSince`: compare `version` and expect too much back."""
        query = {
            "customerAccountNumber": list(customer_numbers) if customer_numbers is not None else None,
            "organizationNumber": organization_number,
            "isInactive": is_inactive,
            "changedSince": changed_since,
            **(params or {}),
        }
        return self.list_all("/customer", params=query, fields=fields, sorting=sorting, progress=progress)

    def customer_get(self, customer_id: int, *, fields: Fields = None) -> dict:
        return self.read(f"/customer/{customer_id}", fields=fields)

    def customer_create(self, customer: Mapping[str, Any]) -> dict:
        return self._create("/customer", customer)

    def customer_create_many(self, customers: list[Mapping[str, Any]]) -> list[dict]:
        return self._create("/customer/list", list(customers))

    def customer_update(self, customer_id: int, changes: Mapping[str, Any], *, version: int) -> dict:
        return self._update(f"/customer/{customer_id}", changes, id=customer_id, version=version)

    def customer_update_many(self, customers: list[Mapping[str, Any]]) -> list[dict]:
        return self._update_many("/customer/list", customers)


class SupplierMixin(ResourceBase):
    def supplier_list(
        self,
        *,
        supplier_number: int | str | None = None,
        is_inactive: bool | None = None,
        changed_since: dt.datetime | dt.date | str | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        params: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> list[dict]:
        query = {
            "supplierNumber": supplier_number,
            "isInactive": is_inactive,
            "changedSince": changed_since,
            **(params or {}),
        }
        return self.list_all("/supplier", params=query, fields=fields, sorting=sorting, progress=progress)

    def supplier_get(self, supplier_id: int, *, fields: Fields = None) -> dict:
        return self.read(f"/supplier/{supplier_id}", fields=fields)

    def supplier_create(self, supplier: Mapping[str, Any]) -> dict:
        return self._create("/supplier", supplier)

    def supplier_update(self, supplier_id: int, changes: Mapping[str, Any], *, version: int) -> dict:
        return self._update(f"/supplier/{supplier_id}", changes, id=supplier_id, version=version)


class ProductMixin(ResourceBase):
    def product_list(
        self,
        *,
        product_number: str | Iterable[str] | None = None,
        is_inactive: bool | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        params: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> list[dict]:
        numbers = [product_number] if isinstance(product_number, str) else product_number
        query = {
            "productNumber": list(numbers) if numbers is not None else None,
            "isInactive": is_inactive,
            **(params or {}),
        }
        return self.list_all("/product", params=query, fields=fields, sorting=sorting, progress=progress)

    def product_get(self, product_id: int, *, fields: Fields = None) -> dict:
        return self.read(f"/product/{product_id}", fields=fields)

    def product_create(self, product: Mapping[str, Any]) -> dict:
        return self._create("/product", product)

    def product_create_many(self, products: list[Mapping[str, Any]]) -> list[dict]:
        return self._create("/product/list", list(products))

    def product_update(self, product_id: int, changes: Mapping[str, Any], *, version: int) -> dict:
        return self._update(f"/product/{product_id}", changes, id=product_id, version=version)

    def product_update_many(self, products: list[Mapping[str, Any]]) -> list[dict]:
        return self._update_many("/product/list", products)


class OrderMixin(ResourceBase):
    def order_list(
        self,
        *,
        order_date_from: dt.date,
        order_date_to: dt.date,
        number: str | None = None,
        customer_id: int | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        params: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> list[dict]:
        query = {
            "orderDateFrom": order_date_from,
            "orderDateTo": order_date_to,
            "number": number,
            "customerId": customer_id,
            **(params or {}),
        }
        return self.list_all("/order", params=query, fields=fields, sorting=sorting, progress=progress)

    def order_get(self, order_id: int, *, fields: Fields = None) -> dict:
        return self.read(f"/order/{order_id}", fields=fields)

    def order_create(self, order: Mapping[str, Any]) -> dict:
        """An order with its `orderLines` in one call; left uninvoiced it is a draft ("ordrekladd")."""
        return self._create("/order", order)

    def order_create_many(self, orders: list[Mapping[str, Any]]) -> list[dict]:
        if len(orders) > 100:
            raise ValueError("Tripletex takes at most 100 orders per call")
        return self._create("/order/list", list(orders))

    def order_invoice(
        self,
        order_id: int,
        *,
        invoice_date: dt.date,
        send_to_customer: bool = False,
        payment_type_id: int | None = None,
        paid_amount: Decimal | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict:
        """Turn an order into an invoice; returns the invoice. Not repeatable: in doubt, look the invoice up."""
        query = {
            "invoiceDate": invoice_date,
            "sendToCustomer": send_to_customer,
            "paymentTypeId": payment_type_id,
            "paidAmount": paid_amount,
            **(params or {}),
        }
        return self.write("PUT", f"/order/{order_id}/:invoice", params=query, retry_safe=False)

    def order_line_create(self, line: Mapping[str, Any]) -> dict:
        return self._create("/order/orderline", line)


class InvoiceMixin(ResourceBase):
    def invoice_search(
        self,
        *,
        invoice_date_from: dt.date,
        invoice_date_to: dt.date,
        invoice_number: str | None = None,
        kid: str | None = None,
        customer_id: int | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        params: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> list[dict]:
        """`invoice_date_to` is exclusive, as Tripletex has it."""
        query = {
            "invoiceDateFrom": invoice_date_from,
            "invoiceDateTo": invoice_date_to,
            "invoiceNumber": invoice_number,
            "kid": kid,
            "customerId": customer_id,
            **(params or {}),
        }
        return self.list_all("/invoice", params=query, fields=fields, sorting=sorting, progress=progress)

    def invoice_create(self, invoice: Mapping[str, Any], *, send_to_customer: bool = False) -> dict:
        """`POST /invoice` for one order (`orders: [{"id": …}]`): unlike `:invoice` it carries our
        `invoiceNumber` (0 lets Tripletex number it) and `kid`. Not repeatable: in doubt, look it up."""
        return self.write("POST", "/invoice", invoice, params={"sendToCustomer": send_to_customer},
                          retry_safe=False)

    def invoice_credit_note_create(self, invoice_id: int, *, date: dt.date, comment: str = "") -> dict:
        """`PUT /invoice/{id}/:createCreditNote`: Tripletex's credit note for the whole invoice, pointing at it
        (`creditedInvoice`), not sent to the customer. Not repeatable: in doubt, read the invoice's `isCredited`."""
        return self.write("PUT", f"/invoice/{invoice_id}/:createCreditNote",
                          params={"date": date, "comment": comment or None, "sendToCustomer": False},
                          retry_safe=False)

    def invoice_get(self, invoice_id: int, *, fields: Fields = None) -> dict:
        return self.read(f"/invoice/{invoice_id}", fields=fields)

    def invoice_register_payment(
        self,
        invoice_id: int,
        *,
        payment_date: dt.date,
        payment_type_id: int,
        paid_amount: Decimal,
        paid_amount_currency: Decimal | None = None,
    ) -> dict:
        """Not repeatable (a second call pays twice): in doubt, read the invoice's outstanding amount first."""
        query = {
            "paymentDate": payment_date,
            "paymentTypeId": payment_type_id,
            "paidAmount": paid_amount,
            "paidAmountCurrency": paid_amount_currency,
        }
        return self.write("PUT", f"/invoice/{invoice_id}/:payment", params=query, retry_safe=False)

    def payment_type_list(
        self, *, description: str | None = None, fields: Fields = None, progress: Progress | None = None
    ) -> list[dict]:
        """Incoming payment types (`GET /invoice/paymentType`), e.g. the bank account for `:payment`."""
        return self.list_all(
            "/invoice/paymentType", params={"description": description}, fields=fields, progress=progress
        )


class PurchaseOrderMixin(ResourceBase):
    def purchase_order_list(
        self,
        *,
        number: str | None = None,
        supplier_id: int | None = None,
        project_id: int | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        params: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> list[dict]:
        query = {"number": number, "supplierId": supplier_id, "projectId": project_id, **(params or {})}
        return self.list_all("/purchaseOrder", params=query, fields=fields, sorting=sorting, progress=progress)

    def purchase_order_get(self, purchase_order_id: int, *, fields: Fields = None) -> dict:
        return self.read(f"/purchaseOrder/{purchase_order_id}", fields=fields)

    def purchase_order_create(self, purchase_order: Mapping[str, Any]) -> dict:
        """Needs the Logistics module in the company's Tripletex (403 otherwise)."""
        return self._create("/purchaseOrder", purchase_order)

    def purchase_order_invoice_relation_list(self, *, order_out_id: int, fields: Fields = None) -> list[dict]:
        return self.list_all("/purchaseOrder/purchaseOrderIncomingInvoiceRelation",
                             params={"orderOutId": order_out_id}, fields=fields)

    def purchase_order_invoice_relation_create(self, *, purchase_order_id: int, voucher_id: int) -> dict:
        """Match a purchase order against the supplier invoice (its voucher) that pays it."""
        return self._create("/purchaseOrder/purchaseOrderIncomingInvoiceRelation",
                            {"orderOut": {"id": purchase_order_id}, "voucher": {"id": voucher_id}})

    def purchase_order_line_create_many(self, lines: list[Mapping[str, Any]]) -> list[dict]:
        """A purchase order's `orderLines` are read-only: its lines are created on their own, each naming it."""
        return self._create("/purchaseOrder/orderline/list", list(lines))
