"""Seed 003 (Rackbeat): "Leverandørfakturaer" go to Tripletex, and "Innkjøpsordre kan … bli matchet mot
leverandørfakturaer"."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope

from commerce import services
from integrations.connectors.inventory import supplier_invoices
from integrations.models import Link, OutboundChange, SyncRecord

from .inventory_setup import rackbeat, tripletex_settings  # noqa: F401

pytestmark = pytest.mark.django_db
Action = SyncRecord.Action
VOUCHER_FIELDS = ("id,externalVoucherNumber,vendorInvoiceNumber,postings(row,account(number),amountGross,amount,"
                  "supplier(id),vatType(number),invoiceNumber,systemGenerated)")


@pytest.fixture
def books(rackbeat):
    with scope(tenant=rackbeat.tenant):
        services.ledger_account_save(tenant=rackbeat.tenant, data={
            "number": "4000", "name": "Varekjøp", "role": "purchases", "vat_code": "", "tripletex_number": "4000"})
    return rackbeat


def _order(rackbeat, supplier):
    with scope(tenant=rackbeat.tenant):
        return services.purchase_order_create(
            tenant=rackbeat.tenant, supplier=supplier, order_date=dt.date(2026, 3, 2),
            lines=[{"description": "Skruer", "unit_cost": Decimal("800.00"), "quantity": Decimal("1")}])


def _invoice(rackbeat, supplier, order=None, number="F-100"):
    with scope(tenant=rackbeat.tenant):
        return services.supplier_invoice_register(
            tenant=rackbeat.tenant, supplier=supplier, invoice_number=number, invoice_date=dt.date(2026, 3, 10),
            due_date=dt.date(2026, 3, 24), amount_net=Decimal("800.00"), vat_code="3", purchase_order=order)


def _voucher(rackbeat, invoice) -> dict:
    (found,) = [v for v in rackbeat.remote("voucher")
                if v.get("externalVoucherNumber") == supplier_invoices.external_number(invoice)]
    return rackbeat.read(f"/ledger/voucher/{found['id']}", VOUCHER_FIELDS)


def test_supplier_invoice_is_sent_to_tripletex_as_a_voucher_against_the_suppliers_payable_with_incoming_vat(books):
    supplier = books.supplier(name="Jernia Engros AS")
    invoice = _invoice(books, supplier)
    assert invoice.amount_gross == Decimal("1000.00")
    books.push()
    voucher = _voucher(books, invoice)
    assert voucher["vendorInvoiceNumber"] == "F-100"
    rows = {p["account"]["number"]: p for p in voucher["postings"]}
    assert rows[4000]["amountGross"] == 1000.0 and rows[4000]["vatType"]["number"] == "1"
    assert rows[2400]["amountGross"] == -1000.0 and rows[2400]["supplier"]["id"] == books.link(supplier).tripletex_id
    assert rows[2710]["amount"] == 200.0  # the deductible VAT, posted by Tripletex
    record = books.records_of("supplier_invoice", invoice.id)[-1]
    assert (record.action, record.rule) == (Action.CREATED, str(supplier_invoices.SUPPLIER_INVOICE_SENT))


def test_purchase_order_is_matched_against_the_supplier_invoice_that_pays_it(books):
    with scope(tenant=books.tenant):
        supplier = books.supplier()
        order = _order(books, supplier)
        invoice = _invoice(books, supplier, order)
        books.push()
        (relation,) = books.remote("po_invoice_relation")
        po_link = Link.objects.get(tenant=books.tenant, kind=Link.Kind.PURCHASE_ORDER, local_id=order.id)
        voucher_link = Link.objects.get(tenant=books.tenant, kind=Link.Kind.SUPPLIER_INVOICE, local_id=invoice.id)
        assert (relation["orderOut"]["id"], relation["voucher"]["id"]) == (
            po_link.tripletex_id, voucher_link.tripletex_id)
        # The same event again matches nothing twice.
        from integrations.connectors.services import local_change_record

        local_change_record(tenant=books.tenant, kind="supplier_invoice", local_id=invoice.id)
        books.push()
        assert len(books.remote("po_invoice_relation")) == 1 and len(books.remote("voucher")) == 1


def test_supplier_invoice_whose_answer_was_lost_is_found_by_our_number_and_not_sent_twice(books):
    with scope(tenant=books.tenant):
        supplier = books.supplier()
        books.push()
        invoice = _invoice(books, supplier)
        books.fake.set_faults(path_prefix="/ledger/voucher", drop_after_commit=1, company_id=books.company_id)
        books.push()
        books.fake.clear_faults()
        OutboundChange.objects.filter(tenant=books.tenant).update(next_attempt_at=None)
        books.push()
        assert len(books.remote("voucher")) == 1
        assert books.records_of("supplier_invoice", invoice.id)[-1].rule == str(supplier_invoices.FOUND_AFTER_DOUBT)


def test_supplier_invoice_without_a_purchases_account_says_what_to_fix(rackbeat):
    invoice = _invoice(rackbeat, rackbeat.supplier())
    rackbeat.push()
    record = rackbeat.records_of("supplier_invoice", invoice.id)[-1]
    assert record.action == Action.FAILED and "Kontoplanen mangler en konto for «Varekjøp»" in record.message
    assert rackbeat.remote("voucher") == []


def test_supplier_invoice_for_another_suppliers_purchase_order_or_registered_twice_is_refused(rackbeat):
    one, other = rackbeat.supplier(), rackbeat.supplier()
    order = _order(rackbeat, other)
    with pytest.raises(ValidationError) as exc:
        _invoice(rackbeat, one, order)
    assert "purchase_order" in exc.value.message_dict
    _invoice(rackbeat, one)
    with pytest.raises(ValidationError) as exc:
        _invoice(rackbeat, one)
    assert "invoice_number" in exc.value.message_dict


def test_supplier_invoice_is_registered_on_its_purchase_order_page_and_bad_input_gets_a_field_message(rackbeat, world):
    from django.urls import reverse

    order = _order(rackbeat, rackbeat.supplier())
    alice = world.client_for(world.alice, world.a)
    url = reverse("commerce:purchase_order_supplier_invoice", args=[order.id])
    bad = alice.post(url, {"invoice_number": "F-7", "invoice_date": "2026-03-10", "due_date": "2026-03-01",
                           "amount_net": "800.00", "vat_code": "3"})
    assert bad.status_code == 200 and "Forfallsdatoen kan ikke være før fakturadatoen" in bad.content.decode()
    ok = alice.post(url, {"invoice_number": "F-7", "invoice_date": "2026-03-10", "due_date": "2026-03-24",
                          "amount_net": "800.00", "vat_code": "3"})
    assert ok.status_code == 302
    page = alice.get(reverse("commerce:purchase_order_detail", args=[order.id])).content.decode()
    assert "F-7" in page and "1000,00" in page  # Norwegian number format
    with scope(tenant=rackbeat.tenant):
        assert OutboundChange.objects.filter(tenant=rackbeat.tenant, kind="supplier_invoice").count() == 1
