"""Seed 003 (Rackbeat): "Innkjøpsordre kan også synkroniseres til Tripletex" — with their lines, once."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django_scopes import scope

from commerce import services
from integrations.connectors.inventory import purchase_orders
from integrations.models import Link, OutboundChange, SyncRecord
from tests.factories import ProjectFactory

from .inventory_setup import rackbeat, tripletex_settings  # noqa: F401

pytestmark = pytest.mark.django_db
Action = SyncRecord.Action


def _order(rackbeat, *, project=None, supplier=None):
    supplier = supplier or rackbeat.supplier(name="Jernia Engros AS")
    screw = rackbeat.product(name="Skrue", cost_price=Decimal("0.40"))
    with scope(tenant=rackbeat.tenant):
        return services.purchase_order_create(
            tenant=rackbeat.tenant, supplier=supplier, project=project, order_date=dt.date(2026, 3, 2),
            delivery_date=dt.date(2026, 3, 9), comment="Levér bakdøra", lines=[
                {"product": screw, "quantity": Decimal("1000")},
                {"description": "Frakt", "unit_cost": Decimal("250.00"), "quantity": Decimal("1")}])


def _lines_of(rackbeat, remote_order) -> list[dict]:
    return [ln for ln in rackbeat.remote("purchase_order_line") if ln["purchaseOrder"]["id"] == remote_order["id"]]


def test_purchase_order_is_synchronised_to_tripletex_with_its_lines_supplier_and_project(rackbeat):
    with scope(tenant=rackbeat.tenant):
        remote_project = rackbeat.remote("project")[0]
        project = ProjectFactory(tenant=rackbeat.tenant, number=remote_project["number"])
        order = _order(rackbeat, project=project)
        rackbeat.push()
        remote = rackbeat.remote_one("purchase_order", internalComment=purchase_orders.marker(order))
        assert remote["supplier"]["id"] == rackbeat.link(order.supplier).tripletex_id
        assert (remote["project"]["id"], remote["deliveryDate"], remote["comments"]) == (
            remote_project["id"], "2026-03-09", "Levér bakdøra")
        lines = _lines_of(rackbeat, remote)
        assert sorted((ln["description"], ln["count"], ln["unitCostCurrency"]) for ln in lines) == [
            ("Frakt", 1.0, 250.0), ("Skrue", 1000.0, 0.4)]
        assert next(ln for ln in lines if ln["description"] == "Skrue")["product"]["id"] == rackbeat.remote_one(
            "product", name="Skrue")["id"]
        link = Link.objects.get(tenant=rackbeat.tenant, kind=Link.Kind.PURCHASE_ORDER, local_id=order.id)
        assert link.tripletex_id == remote["id"] and link.synced_values["lines_sent"]
        record = rackbeat.records_of("purchase_order", order.id)[-1]
        assert (record.action, record.rule) == (Action.CREATED, str(purchase_orders.PURCHASE_ORDER_SENT))


def test_purchase_order_whose_answer_was_lost_is_found_by_our_number_and_its_lines_sent_once(rackbeat):
    with scope(tenant=rackbeat.tenant):
        order = _order(rackbeat)
        rackbeat.push()  # supplier and product first, so only the purchase order's answer is lost below
        Link.objects.filter(tenant=rackbeat.tenant, kind=Link.Kind.PURCHASE_ORDER).delete()
        for po in rackbeat.remote("purchase_order"):
            rackbeat.fake.change(rackbeat.company_id, "purchase_order", po["id"], delete=True)
        for line in rackbeat.remote("purchase_order_line"):
            rackbeat.fake.change(rackbeat.company_id, "purchase_order_line", line["id"], delete=True)
        from integrations.connectors.services import local_change_record

        local_change_record(tenant=rackbeat.tenant, kind="purchase_order", local_id=order.id)
        rackbeat.fake.set_faults(path_prefix="/purchaseOrder", drop_after_commit=1, company_id=rackbeat.company_id)
        rackbeat.push()
        assert len(rackbeat.remote("purchase_order")) == 1
        rackbeat.fake.clear_faults()
        OutboundChange.objects.filter(tenant=rackbeat.tenant).update(next_attempt_at=None)
        rackbeat.push()
        (remote,) = rackbeat.remote("purchase_order")
        assert len(_lines_of(rackbeat, remote)) == 2
        assert rackbeat.records_of("purchase_order", order.id)[-1].rule == str(purchase_orders.FOUND_AFTER_DOUBT)


def test_purchase_order_lines_whose_answer_was_lost_are_not_sent_twice(rackbeat):
    with scope(tenant=rackbeat.tenant):
        order = _order(rackbeat)
        rackbeat.push()
        rackbeat.push()
        (remote,) = rackbeat.remote("purchase_order")
        # As if the worker died after Tripletex took the lines but before we noted it.
        link = Link.objects.get(tenant=rackbeat.tenant, kind=Link.Kind.PURCHASE_ORDER, local_id=order.id)
        link.synced_values = {"sending_lines": True}
        link.save()
        from integrations.connectors.services import local_change_record

        local_change_record(tenant=rackbeat.tenant, kind="purchase_order", local_id=order.id)
        rackbeat.push()
        assert len(_lines_of(rackbeat, remote)) == 2
        assert len(rackbeat.remote("purchase_order")) == 1


def test_purchase_order_whose_supplier_cannot_be_sent_says_why(rackbeat):
    supplier = rackbeat.supplier(supplier_number="L-1")
    order = _order(rackbeat, supplier=supplier)
    rackbeat.push()
    assert rackbeat.remote("purchase_order") == []
    record = rackbeat.records_of("purchase_order", order.id)[-1]
    assert record.action == Action.FAILED
    assert "Leverandøren «Jernvare AS» kan ikke sendes til Tripletex" in record.message
