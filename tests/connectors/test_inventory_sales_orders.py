"""Seed 003 (Rackbeat): a booked customer invoice becomes a sales order draft in Tripletex, never invoiced by us."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope

from commerce import services
from commerce.models import Invoice
from integrations.connectors.inventory import sales_orders
from integrations.connectors.services import sync_record_retry
from integrations.models import Link, OutboundChange, SyncRecord
from tests.factories import ProjectFactory

from .inventory_setup import rackbeat, tripletex_settings  # noqa: F401

pytestmark = pytest.mark.django_db
Action = SyncRecord.Action


def _issue(rackbeat, *, project=None, customer=None) -> Invoice:
    customer = customer or rackbeat.customer(name="Byggmester Berg AS")
    screw = rackbeat.product(name="Skrue", sales_price=Decimal("2.00"))
    with scope(tenant=rackbeat.tenant):
        draft = services.invoice_draft_save(tenant=rackbeat.tenant, data={
            "customer": customer, "project": project, "invoice_date": dt.date(2026, 3, 2)}, lines=[
            {"product": screw, "quantity": Decimal("100")},
            {"description": "Montering", "unit_price": Decimal("850.00"), "quantity": Decimal("3"), "vat_code": "3"},
        ])
        return services.invoice_issue(tenant=rackbeat.tenant, invoice=draft, by=None)


def _tripletex_project(rackbeat):
    remote = rackbeat.remote("project")[0]
    return ProjectFactory(tenant=rackbeat.tenant, number=remote["number"], name=remote["name"]), remote


def _order(rackbeat, invoice) -> dict:
    return rackbeat.remote_one("order", number=str(invoice.number))


def test_booked_customer_invoice_is_created_as_a_sales_order_draft_in_tripletex_with_its_lines_and_project(rackbeat):
    with scope(tenant=rackbeat.tenant):
        project, remote_project = _tripletex_project(rackbeat)
        invoice = _issue(rackbeat, project=project)
        rackbeat.push()
        order = _order(rackbeat, invoice)
        assert order["project"]["id"] == remote_project["id"]
        assert order["customer"]["id"] == rackbeat.link(invoice.customer).tripletex_id
        lines = [rackbeat.fake.objects(rackbeat.company_id, "orderline")]
        lines = [ln for ln in lines[0] if ln["order"]["id"] == order["id"]]
        assert sorted((ln["description"], ln["count"], ln["unitPriceExcludingVatCurrency"]) for ln in lines) == [
            ("Montering", 3.0, 850.0), ("Skrue", 100.0, 2.0)]
        screw_line = next(ln for ln in lines if ln["description"] == "Skrue")
        assert screw_line["product"]["id"] == rackbeat.remote_one("product", name="Skrue")["id"]
        # A draft: never invoiced by us.
        assert rackbeat.remote("invoice") == [] and not any(k.endswith(":invoice") for k in rackbeat.calls())
        link = Link.objects.get(tenant=rackbeat.tenant, kind=Link.Kind.SALES_ORDER, local_id=invoice.id)
        assert link.tripletex_id == order["id"]
        record = rackbeat.records_of("invoice", invoice.id)[-1]
        assert (record.action, record.rule, record.tripletex_id) == (Action.CREATED, str(sales_orders.ORDER_DRAFT),
                                                                     order["id"])


def test_invoice_page_says_to_only_change_the_price_in_the_draft_since_new_products_would_make_stock_wrong(
        rackbeat, world):
    invoice = _issue(rackbeat)
    rackbeat.push()
    page = world.client_for(world.alice, world.a).get(
        reverse("commerce:invoice_detail", args=[invoice.id])).content.decode()
    assert "Salgsordrekladden kan endres i Tripletex, men endre helst bare prisen" in page
    assert "stemmer ikke lagerbeholdningen her lenger" in page
    assert f"ordre-id {_order(rackbeat, invoice)['id']}" in page


def test_sales_order_draft_is_made_once_when_its_answer_is_lost(rackbeat):
    with scope(tenant=rackbeat.tenant):
        invoice = _issue(rackbeat)
        rackbeat.fake.set_faults(path_prefix="/order", drop_after_commit=1, company_id=rackbeat.company_id)
        rackbeat.push()
        assert len(rackbeat.remote("order")) == 1
        rackbeat.fake.clear_faults()
        OutboundChange.objects.filter(tenant=rackbeat.tenant).update(next_attempt_at=None)
        rackbeat.push()
        assert len(rackbeat.remote("order")) == 1
        record = rackbeat.records_of("invoice", invoice.id)[-1]
        assert (record.action, record.rule) == (Action.CREATED, str(sales_orders.FOUND_AFTER_DOUBT))
        # The same event again sends nothing.
        from integrations.connectors.services import local_change_record

        local_change_record(tenant=rackbeat.tenant, kind="invoice", local_id=invoice.id)
        rackbeat.push()
        assert len(rackbeat.remote("order")) == 1
        assert rackbeat.records_of("invoice", invoice.id)[-1].action == Action.UNCHANGED


def test_demo_company_without_bank_account_is_told_so_in_the_seeds_words_and_try_again_sends_it_once_fixed(
        rackbeat, world):
    rackbeat.fake.settings(no_bank_account_orders=True)
    invoice = _issue(rackbeat)
    rackbeat.push()
    record = rackbeat.records_of("invoice", invoice.id)[-1]
    assert record.action == Action.FAILED
    assert record.message.startswith(str(sales_orders.NEEDS_BANK_ACCOUNT))
    page = world.client_for(world.alice, world.a).get(
        reverse("commerce:invoice_detail", args=[invoice.id])).content.decode()
    assert "For å kunne overføre fakturaer til Tripletex må du oppgi bankopplysningene dine i Tripletex" in page
    assert reverse("integrations:record_retry", args=[record.id]) in page
    rackbeat.fake.settings(no_bank_account_orders=False)
    with scope(tenant=rackbeat.tenant):
        sync_record_retry(tenant=rackbeat.tenant, record_id=record.id)
    rackbeat.push()
    assert len(rackbeat.remote("order")) == 1
    assert rackbeat.records_of("invoice", invoice.id)[-1].action == Action.CREATED


def test_invoice_already_in_tripletex_as_a_voucher_is_not_also_sent_as_an_order(rackbeat):
    invoice = _issue(rackbeat)
    Link.objects.create(tenant=rackbeat.tenant, kind=Link.Kind.INVOICE, local_id=invoice.id,
                        tripletex_company_id=rackbeat.company_id, tripletex_id=999, synced_values={"attached": True})
    rackbeat.push()
    assert rackbeat.remote("order") == []
    record = rackbeat.records_of("invoice", invoice.id)[-1]
    assert (record.action, record.rule) == (Action.SKIPPED, str(sales_orders.ALREADY_A_VOUCHER))


def test_project_that_is_not_in_tripletex_stops_the_order_with_the_admins_words(rackbeat):
    project = ProjectFactory(tenant=rackbeat.tenant, number="9999", name="Bare her")
    invoice = _issue(rackbeat, project=project)
    rackbeat.push()
    assert rackbeat.remote("order") == []
    record = rackbeat.records_of("invoice", invoice.id)[-1]
    assert record.action == Action.FAILED and "Prosjekt 9999 «Bare her» finnes ikke i Tripletex" in record.message


def test_draft_invoice_is_not_sent(rackbeat):
    with scope(tenant=rackbeat.tenant):
        customer = rackbeat.customer()
        services.invoice_draft_save(tenant=rackbeat.tenant, data={
            "customer": customer, "invoice_date": dt.date(2026, 3, 2)}, lines=[
            {"description": "Arbeid", "unit_price": Decimal("10"), "quantity": Decimal("1"), "vat_code": "3"}])
        assert not OutboundChange.objects.filter(tenant=rackbeat.tenant, kind="invoice").exists()
