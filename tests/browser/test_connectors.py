"""The two-way sync of projects, customers and employees (seed 000) in a real browser, end to end.

The admin switches the connector on in the Integrasjoner page; the fake Tripletex then posts its webhooks to
the live server (SITE_URL), where the delivery is processed at once (tasks run eagerly), as an idle worker would.
"""
import time

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from hr.models import Project
from integrations.models import Connection, Link

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def reload_until(page, url: str, condition, timeout: float = 10.0) -> bool:
    """Open `url` again until `condition(page)` holds, as an admin refreshing the page would."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(url)
        if condition(page):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_admin_switches_the_two_way_sync_on_and_changes_cross_both_ways(page, world, fake_tripletex, live_server,
                                                                        settings):
    fake = fake_tripletex
    settings.SITE_URL = live_server.url
    company = fake.create_company("Toveis i nettleser AS", applications=["GrønnJobb"], employees=3, projects=3,
                                  customers=3)
    cid = company["id"]
    Connection.objects.create(tenant=world.a, state=Connection.State.ACTIVE, tripletex_company_id=cid,
                              employee_token=company["employee_tokens"]["GrønnJobb"],
                              tripletex_company_name=company["name"])
    log_in(page, "alice@alfa.no")

    page.goto("/integrasjoner/")
    card = page.get_by_test_id("connector-master_data")
    expect(card.get_by_test_id("connector-state")).to_have_text("Slått av")
    card.get_by_role("button", name="Slå på", exact=True).click()
    expect(card.get_by_test_id("connector-state")).to_have_text("Slått på")
    # The first sync ran (eagerly, in that request): the fake's three customers and projects are here.
    expect(card.get_by_test_id("run-status")).to_have_text("Fullført")
    subscriptions = fake.objects(cid, "subscription")
    assert subscriptions and {s["targetUrl"].split("/webhooks/")[0] for s in subscriptions} == {live_server.url}

    # A customer edited on our page shows up in Tripletex.
    customer = fake.objects(cid, "customer")[0]
    page.goto("/kunder/")
    page.get_by_role("link", name=customer["name"], exact=True).click()
    page.locator("input[name=name]").fill("Endret her AS")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.get_by_text("Kunden «Endret her AS» er lagret.")).to_be_visible()
    assert wait_for(lambda: next(c for c in fake.objects(cid, "customer") if c["id"] == customer["id"])["name"]
                    == "Endret her AS")
    # Tripletex echoes our own write as a webhook; let it be answered before the next change.
    assert wait_for(lambda: any(d["id"] == customer["id"] and d["ok"] for d in fake.webhook_deliveries()))

    # A project edited in Tripletex, as its user would, shows up here by webhook.
    with scope(tenant=world.a):
        link = Link.objects.filter(tenant=world.a, kind=Link.Kind.PROJECT, tripletex_company_id=cid).first()
        ours = Project.objects.get(id=link.local_id)
    fake.change(cid, "project", link.tripletex_id, name="Endret i Tripletex")
    assert reload_until(page, f"/prosjekter/?q={ours.number}",
                        lambda p: p.get_by_role("link", name="Endret i Tripletex", exact=True).count() == 1)

    page.goto("/integrasjoner/logg/?type=project&handling=updated")
    row = page.locator("tbody tr").filter(has_text="Endret i Tripletex")
    expect(row).to_contain_text("Endring i Tripletex")
    expect(row).to_contain_text("Oppdatert")
