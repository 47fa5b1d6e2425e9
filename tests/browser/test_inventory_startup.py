"""Seed 003's start-up sync in a real browser: switched on, offered on the card, counted, started, done.

Tasks run eagerly, so the copy is done when the start button's request returns; the progress page is then
the finished run's.
"""
import pytest
from django_scopes import scope
from playwright.sync_api import expect

from commerce.models import Product, Supplier
from hr.models import Customer
from integrations.models import Connection

from .conftest import ARTIFACTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_switches_the_inventory_connector_on_and_copies_from_tripletex(page, world, fake_tripletex):
    company = fake_tripletex.create_company("Oppstart i nettleser AS", applications=["GrønnJobb"], employees=2,
                                            customers=3, suppliers=2, products=4, projects=1)
    Connection.objects.create(tenant=world.a, state=Connection.State.ACTIVE, tripletex_company_id=company["id"],
                              employee_token=company["employee_tokens"]["GrønnJobb"],
                              tripletex_company_name=company["name"])
    log_in(page, "alice@alfa.no")

    page.goto("/integrasjoner/")
    card = page.get_by_test_id("connector-inventory")
    card.get_by_role("button", name="Slå på", exact=True).click()
    card = page.get_by_test_id("connector-inventory")
    expect(card.get_by_test_id("connector-state")).to_have_text("Slått på")
    card.get_by_role("link", name="Oppstartssynkronisering").click()

    expect(page.get_by_test_id("count-product")).to_have_text("4")
    expect(page.get_by_test_id("count-customer")).to_have_text("3")
    # Kept in test-artifacts/ for a person to look at, as the journal's test does.
    page.screenshot(path=str(ARTIFACTS / "inventory_startup_offer.png"), full_page=True)
    page.get_by_label("Ansatte").uncheck()
    page.get_by_role("button", name="Start oppstartssynkronisering").click()

    expect(page.get_by_test_id("run-status")).to_have_text("Fullført")
    results = page.get_by_test_id("startup-results")
    expect(results).to_contain_text("Varer")
    expect(results).not_to_contain_text("Ansatte")
    page.screenshot(path=str(ARTIFACTS / "inventory_startup_done.png"), full_page=True)
    with scope(tenant=world.a):
        assert Product.objects.filter(tenant=world.a).count() == 4
        assert Supplier.objects.filter(tenant=world.a).count() == 2
        assert Customer.objects.filter(tenant=world.a).count() == 3

    page.goto("/integrasjoner/")
    expect(page.get_by_test_id("connector-inventory").get_by_test_id("startup-offer")).to_contain_text(
        "Oppstartssynkronisering kjørt")
    page.screenshot(path=str(ARTIFACTS / "inventory_card.png"), full_page=True)
