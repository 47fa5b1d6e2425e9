"""Seed 003 (Rackbeat), from here to Tripletex at once: products, bundles, customers and suppliers.

Each test changes rows through the services the pages use, runs the push as the worker does and reads what
the fake Tripletex holds. Test names say the seed's sentence (or the rule chosen where it is silent).
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope

from integrations.connectors import registry
from integrations.connectors.inventory import rules
from integrations.connectors.services import ActionRefused, connector_enable
from integrations.models import ConnectorConfig, Link, OutboundChange, SyncRecord

from .inventory_setup import rackbeat, tripletex_settings  # noqa: F401

pytestmark = pytest.mark.django_db
Action = SyncRecord.Action


# --- "Deretter vil overføring av data skje i sanntid … ved opprettelser/oppdateringer av: Varer, …" ---------

def test_product_created_here_is_transferred_to_tripletex_at_once(rackbeat):
    with scope(tenant=rackbeat.tenant):
        product = rackbeat.product(name="Skrue 4x40", sales_price=Decimal("12.50"), cost_price=Decimal("5.10"))
        change = OutboundChange.objects.get(tenant=rackbeat.tenant, kind="product", local_id=product.id)
        assert change.state == OutboundChange.State.PENDING
        rackbeat.push()
        remote = rackbeat.remote_one("product", number=product.number)
        assert (remote["name"], remote["priceExcludingVatCurrency"], remote["costExcludingVatCurrency"]) == (
            "Skrue 4x40", 12.5, 5.1)
        assert rackbeat.link(product).tripletex_id == remote["id"]
        record = rackbeat.last_record(product)
        assert (record.action, record.direction, record.tripletex_id) == (Action.CREATED, "out", remote["id"])


def test_product_updated_here_is_updated_in_tripletex_with_only_the_fields_changed_here(rackbeat):
    product = rackbeat.product(name="Mutter")
    rackbeat.push()
    remote = rackbeat.remote_one("product", number=product.number)
    # Someone edits the product's cost in Tripletex; we then change its name and price here.
    rackbeat.fake.change(rackbeat.company_id, "product", remote["id"], costExcludingVatCurrency=7.77)
    rackbeat.product(product, name="Mutter M8", sales_price=Decimal("15.00"))
    rackbeat.push()
    remote = rackbeat.remote_one("product", id=remote["id"])
    assert (remote["name"], remote["priceExcludingVatCurrency"], remote["costExcludingVatCurrency"]) == (
        "Mutter M8", 15.0, 7.77)
    assert rackbeat.last_record(product).action == Action.UPDATED
    assert len(rackbeat.remote("product")) == 3  # the fake's two and ours


def test_several_quick_changes_to_one_record_send_its_latest_state_once(rackbeat):
    with scope(tenant=rackbeat.tenant):
        product = rackbeat.product(name="Bolt")
        for price in ("11.00", "12.00", "13.00"):
            rackbeat.product(product, sales_price=Decimal(price))
        assert OutboundChange.objects.filter(tenant=rackbeat.tenant, kind="product").count() == 1
        rackbeat.push()
        assert rackbeat.remote_one("product", number=product.number)["priceExcludingVatCurrency"] == 13.0
        assert rackbeat.writes() == {"POST /product": 1}


def test_an_edit_that_changes_nothing_sends_nothing(rackbeat):
    product = rackbeat.product()
    rackbeat.push()
    rackbeat.fake.clear_calls()
    rackbeat.product(product, name=product.name)
    assert rackbeat.pending() == 0
    rackbeat.push()
    assert rackbeat.writes() == {}


def test_customer_created_and_updated_here_is_transferred_to_tripletex(rackbeat):
    customer = rackbeat.customer(name="Hansen Bygg AS", email="post@hansen.no", city="Bergen", postal_code="5003")
    rackbeat.push()
    remote = rackbeat.remote_one("customer", customerNumber=int(customer.customer_number))
    remote = rackbeat.read(f"/customer/{remote['id']}", "id,name,email,postalAddress(city)")
    assert (remote["name"], remote["email"], remote["postalAddress"]["city"]) == (
        "Hansen Bygg AS", "post@hansen.no", "Bergen")
    rackbeat.customer(customer, name="Hansen Bygg og Anlegg AS")
    rackbeat.push()
    assert rackbeat.remote_one("customer", id=remote["id"])["name"] == "Hansen Bygg og Anlegg AS"
    assert [r.action for r in rackbeat.records(customer)] == [Action.CREATED, Action.UPDATED]


def test_supplier_created_and_updated_here_is_transferred_to_tripletex(rackbeat):
    supplier = rackbeat.supplier(name="Jernia Engros AS", org_number="984 809 085", city="Oslo")
    rackbeat.push()
    remote = rackbeat.remote_one("supplier", supplierNumber=int(supplier.supplier_number))
    remote = rackbeat.read(f"/supplier/{remote['id']}", "id,name,organizationNumber,postalAddress(city)")
    assert (remote["name"], remote["organizationNumber"], remote["postalAddress"]["city"]) == (
        "Jernia Engros AS", "984809085", "Oslo")
    rackbeat.supplier(supplier, phone="22 33 44 55")
    rackbeat.push()
    assert rackbeat.remote_one("supplier", id=remote["id"])["phoneNumber"] == "22 33 44 55"
    assert rackbeat.last_record(supplier).action == Action.UPDATED


def test_supplier_whose_number_is_not_all_digits_is_not_sent(rackbeat):
    supplier = rackbeat.supplier(supplier_number="L-7")
    rackbeat.push()
    record = rackbeat.last_record(supplier)
    assert (record.action, record.rule) == (Action.SKIPPED, str(rules.SUPPLIER_NUMBER_NOT_DIGITS))
    assert rackbeat.writes() == {}


# --- exactly once, and never overwriting what we did not write ---------------------------------------------

def test_product_whose_number_is_already_in_tripletex_is_linked_not_duplicated_or_overwritten(rackbeat):
    theirs = rackbeat.remote("product")[0]
    product = rackbeat.product(number=theirs["number"], name="Vårt navn", sales_price=Decimal("999.00"))
    rackbeat.push()
    assert len(rackbeat.remote("product")) == 2
    after = rackbeat.remote_one("product", id=theirs["id"])
    assert (after["name"], after["priceExcludingVatCurrency"]) == (theirs["name"], theirs["priceExcludingVatCurrency"])
    record = rackbeat.last_record(product)
    assert (record.action, record.rule, record.tripletex_id) == (
        Action.LINKED, str(rules.LINKED_EXISTING), theirs["id"])
    assert rackbeat.writes() == {}
    # From then on, what is changed here is sent, and only that.
    rackbeat.product(product, sales_price=Decimal("1000.00"))
    rackbeat.push()
    after = rackbeat.remote_one("product", id=theirs["id"])
    assert (after["name"], after["priceExcludingVatCurrency"]) == (theirs["name"], 1000.0)


def test_customer_and_supplier_already_in_tripletex_are_linked_by_number(rackbeat):
    theirs_c = rackbeat.remote("customer")[0]
    theirs_s = rackbeat.remote("supplier")[0]
    customer = rackbeat.customer(customer_number=str(theirs_c["customerNumber"]), name="Annet navn")
    supplier = rackbeat.supplier(supplier_number=str(theirs_s["supplierNumber"]), name="Annet navn")
    rackbeat.push()
    assert rackbeat.link(customer).tripletex_id == theirs_c["id"]
    assert rackbeat.link(supplier).tripletex_id == theirs_s["id"]
    assert rackbeat.remote_one("customer", id=theirs_c["id"])["name"] == theirs_c["name"]
    assert rackbeat.writes() == {}


def test_all_waiting_records_are_looked_up_by_number_in_one_call_per_kind(rackbeat):
    products = [rackbeat.product() for _ in range(5)]
    rackbeat.push()
    assert rackbeat.calls()["GET /product"] == 1
    assert rackbeat.writes() == {"POST /product": 5}
    assert all(rackbeat.link(p) for p in products)


def test_create_whose_answer_was_lost_is_found_by_number_and_not_created_again(rackbeat):
    with scope(tenant=rackbeat.tenant):
        product = rackbeat.product(name="Spiker")
        rackbeat.fake.set_faults(path_prefix="/product", drop_after_commit=1, company_id=rackbeat.company_id)
        rackbeat.push()
        assert len(rackbeat.remote("product")) == 3  # Tripletex made it; we never heard
        change = OutboundChange.objects.get(tenant=rackbeat.tenant, kind="product", local_id=product.id)
        assert change.state == OutboundChange.State.PENDING and rackbeat.link(product) is None
        rackbeat.fake.clear_faults()
        rackbeat.product(product, name="Spiker 50 mm")  # edited meanwhile: the latest state must still go
        OutboundChange.objects.filter(tenant=rackbeat.tenant).update(next_attempt_at=None)
        rackbeat.push()
        remote = rackbeat.remote_one("product", number=product.number)
        assert remote["name"] == "Spiker 50 mm" and rackbeat.link(product).tripletex_id == remote["id"]
        assert rackbeat.last_record(product).rule == str(rules.FOUND_AFTER_DOUBT)


def test_worker_killed_after_the_create_is_found_by_number_and_not_created_again(rackbeat):
    with scope(tenant=rackbeat.tenant):
        supplier = rackbeat.supplier()
        rackbeat.push()
        # As if the worker died after Tripletex made the supplier but before the link was stored.
        Link.objects.filter(tenant=rackbeat.tenant, kind="supplier").delete()
        OutboundChange.objects.filter(tenant=rackbeat.tenant, kind="supplier").update(
            state=OutboundChange.State.PENDING, message="in_doubt", next_attempt_at=None)
        rackbeat.push()
        number = int(supplier.supplier_number)
        assert len([s for s in rackbeat.remote("supplier") if s["supplierNumber"] == number]) == 1
        assert rackbeat.link(supplier) is not None


def test_product_deleted_in_tripletex_is_not_created_again(rackbeat):
    product = rackbeat.product()
    rackbeat.push()
    rackbeat.fake.change(rackbeat.company_id, "product", rackbeat.link(product).tripletex_id, delete=True)
    rackbeat.product(product, name="Ny")
    rackbeat.push()
    assert rackbeat.last_record(product).rule == str(rules.GONE_IN_TRIPLETEX)
    assert not [p for p in rackbeat.remote("product") if p["number"] == product.number]
    assert rackbeat.link(product).state == Link.State.GONE


def test_customer_deleted_here_is_not_deleted_in_tripletex(rackbeat):
    customer = rackbeat.customer()
    rackbeat.push()
    with scope(tenant=rackbeat.tenant):
        from hr import services as hr_services

        hr_services.customer_delete(tenant=rackbeat.tenant, customer=customer)
    rackbeat.push()
    assert rackbeat.last_record(customer).rule == str(rules.DELETED_HERE)
    assert rackbeat.remote_one("customer", customerNumber=int(customer.customer_number))


def test_nothing_is_queued_while_the_connector_is_off(rackbeat):
    with scope(tenant=rackbeat.tenant):
        ConnectorConfig.objects.filter(tenant=rackbeat.tenant, name="inventory").update(enabled=False)
        rackbeat.product()
        rackbeat.supplier()
        assert rackbeat.pending() == 0


def test_connector_cannot_be_on_with_the_connectors_that_own_customers_or_send_invoices(rackbeat):
    with scope(tenant=rackbeat.tenant):
        assert {c.name for c in registry.conflicts_of("inventory")} == {"master_data", "invoices", "customer_import"}
        for other in ("master_data", "invoices", "customer_import"):
            with pytest.raises(ActionRefused):
                connector_enable(tenant=rackbeat.tenant, name=other, by=None)
        owners = {kind: {c.name for c in registry.owners_of(kind)} for kind in ("customer", "invoice", "product")}
        assert owners["product"] == {"inventory"}
        assert "inventory" in owners["customer"] and "master_data" in owners["customer"]


def test_bad_input_on_a_product_is_refused_with_a_field_message_and_nothing_is_queued(rackbeat):
    with pytest.raises(ValidationError) as exc:
        rackbeat.product(sales_price=Decimal("-1"))
    assert "sales_price" in exc.value.message_dict
    assert rackbeat.pending() == 0


# --- "… opprettelser/oppdateringer av: … strukturvarer" ------------------------------------------------------

def _parts(rackbeat):
    screw = rackbeat.product(name="Skrue", sales_price=Decimal("2.00"), cost_price=Decimal("0.50"))
    plug = rackbeat.product(name="Plugg", sales_price=Decimal("1.50"), cost_price=Decimal("0.25"))
    return screw, plug


def test_bundle_is_sent_as_one_product_with_its_components_in_the_description_and_their_summed_price(rackbeat):
    screw, plug = _parts(rackbeat)
    bundle = rackbeat.product(name="Festepakke", sales_price=Decimal("0"),
                              components=[(screw, Decimal("10")), (plug, Decimal("10"))])
    rackbeat.push()
    remote = rackbeat.remote_one("product", number=bundle.number)
    assert remote["priceExcludingVatCurrency"] == 35.0  # 10 × 2.00 + 10 × 1.50
    assert remote["costExcludingVatCurrency"] == 7.5
    assert remote["description"] == f"Strukturvare: 10 × {screw.number} Skrue; 10 × {plug.number} Plugg"
    record = rackbeat.last_record(bundle)
    assert (record.action, record.rule) == (Action.CREATED, str(rules.BUNDLE_AS_PRODUCT))


def test_bundle_with_a_price_of_its_own_keeps_it_and_its_cost_is_summed_from_the_parts(rackbeat):
    screw, plug = _parts(rackbeat)
    bundle = rackbeat.product(name="Festepakke", sales_price=Decimal("30.00"),
                              components=[(screw, Decimal("10")), (plug, Decimal("4"))])
    rackbeat.push()
    remote = rackbeat.remote_one("product", number=bundle.number)
    assert (remote["priceExcludingVatCurrency"], remote["costExcludingVatCurrency"]) == (30.0, 6.0)


def test_a_changed_component_sends_the_bundle_it_is_part_of_again(rackbeat):
    with scope(tenant=rackbeat.tenant):
        screw, plug = _parts(rackbeat)
        bundle = rackbeat.product(name="Festepakke", sales_price=Decimal("0"),
                                  components=[(screw, Decimal("10")), (plug, Decimal("10"))])
        rackbeat.push()
        rackbeat.product(screw, sales_price=Decimal("3.00"))
        assert set(OutboundChange.objects.filter(tenant=rackbeat.tenant, state="pending").values_list(
            "local_id", flat=True)) == {screw.id, bundle.id}
        rackbeat.push()
        assert rackbeat.remote_one("product", number=bundle.number)["priceExcludingVatCurrency"] == 45.0
        assert rackbeat.remote_one("product", number=screw.number)["priceExcludingVatCurrency"] == 3.0


def test_bundle_whose_components_change_gets_the_new_description(rackbeat):
    screw, plug = _parts(rackbeat)
    bundle = rackbeat.product(name="Festepakke", components=[(screw, Decimal("10"))])
    rackbeat.push()
    rackbeat.product(bundle, components=[(screw, Decimal("8")), (plug, Decimal("2.5"))])
    rackbeat.push()
    remote = rackbeat.remote_one("product", number=bundle.number)
    assert remote["description"] == f"Strukturvare: 8 × {screw.number} Skrue; 2.5 × {plug.number} Plugg"
    assert rackbeat.last_record(bundle).action == Action.UPDATED


# --- "Hva synkroniserer vi ikke?" ------------------------------------------------------------------------

def test_card_says_what_is_not_synced_orders_other_than_booked_invoices_stock_levels_and_stock_value(rackbeat, world):
    from django.urls import reverse

    page = world.client_for(world.alice, world.a).get(reverse("integrations:connectors")).content.decode()
    assert "Varer, kunder og leverandører" in page
    assert "Synkroniseres ikke: andre ordrer enn bokførte fakturaer, lagerbeholdning og lagerverdi" in page
    assert "Tripletex&#x27; API ikke kan lagre en vares deler" in page or "Tripletex' API ikke kan lagre" in page
