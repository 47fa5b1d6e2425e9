"""The invoice journal (seed 002) in a real browser: the admin puts issued invoices in a journal, sends it, and reads
per invoice what Tripletex did; a screenshot of the page is kept in test-artifacts/ for a person to look at."""
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled
from playwright.sync_api import expect

from commerce import services
from hr.models import Customer
from integrations import tasks
from integrations.connectors.customer_import import NAME
from integrations.models import SyncRun
from tests.connectors.customer_import_setup import connect
from tests.factories import CustomerFactory

from .conftest import ARTIFACTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _issue(tenant, customer, day: dt.date):
    lines = [{"description": "Timeverk utvikler", "unit_price": Decimal("1150.00"), "quantity": Decimal("7.5"),
              "vat_code": "3"},
             {"description": "Kaffebønner 1 kg", "unit_price": Decimal("289.00"), "quantity": Decimal("2"),
              "vat_code": "31"}]
    with scope(tenant=tenant):
        draft = services.invoice_draft_save(tenant=tenant, data={"customer": customer, "invoice_date": day},
                                            lines=lines)
        return services.invoice_issue(tenant=tenant, invoice=draft, by=None)


def test_admin_makes_a_journal_sends_it_and_reads_each_invoices_result_on_the_page(page, world, fake_tripletex):
    with scopes_disabled():
        imp = connect(fake_tripletex, world.a)
        run = SyncRun.objects.create(tenant=world.a, kind=SyncRun.Kind.CONNECTOR, connector=NAME,
                                     trigger=SyncRun.Trigger.MANUAL)
    tasks.connector_run(run.id)  # as the worker runs the import
    with scope(tenant=world.a):
        known = Customer.objects.filter(tenant=world.a).order_by("customer_number").first()
        stranger = CustomerFactory(tenant=world.a, customer_number="88888", name="Ukjent Kunde AS")
    day = dt.date.today() - dt.timedelta(days=1)
    by_hand = _invoiced_in_tripletex(imp, day)  # Tripletex's own series gave it number 1, as ours will be
    renumbered = _issue(world.a, known, day)
    missing = _issue(world.a, stranger, day)
    sent = _issue(world.a, known, day)
    log_in(page, "alice@alfa.no")
    ARTIFACTS.mkdir(exist_ok=True)

    page.goto(reverse("commerce:journals"))
    expect(page.get_by_role("heading", name="Fakturabunter")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "invoice_journal_list.png"), full_page=True)
    page.get_by_role("button", name="Lag bunt av de valgte").click()
    expect(page.get_by_role("heading", name="Bunt 1")).to_be_visible()
    page.get_by_role("button", name="Send til Tripletex").click()

    expect(page.locator("#journal")).to_have_attribute("data-status", "failed")
    rows = page.locator("table.items tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator(f'tr[data-invoice="{sent.number}"]')).to_contain_text(f"Faktura {sent.number}")
    expect(page.locator(f'tr[data-invoice="{sent.number}"]')).to_contain_text("Sendt")
    theirs = next(i["invoiceNumber"] for i in imp.fake.objects(imp.company_id, "invoice")
                  if i["invoiceNumber"] not in (by_hand, sent.number))
    expect(page.locator(f'tr[data-invoice="{renumbered.number}"]')).to_contain_text(f"Faktura {theirs}")
    expect(page.locator(f'tr[data-invoice="{renumbered.number}"]')).to_contain_text(
        f"Fakturanummer {renumbered.number} var allerede brukt i Tripletex")
    expect(page.locator(f'tr[data-invoice="{missing.number}"]')).to_contain_text("Ikke sendt")
    expect(page.locator(f'tr[data-invoice="{missing.number}"]')).to_contain_text("finnes ikke i Tripletex")
    expect(page.get_by_text("sendes til Tripletex")).to_have_count(0)  # it was sent while the page waited
    expect(page.get_by_role("button", name="Prøv igjen")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "invoice_journal.png"), full_page=True)


def _invoiced_in_tripletex(imp, day: dt.date) -> int:
    session = imp.fake.session(employee_token=imp.connection.employee_token)
    order = session.post(f"{imp.fake.base_url}/order", json={
        "customer": {"id": imp.customers()[0]["id"]}, "orderDate": day.isoformat(), "deliveryDate": day.isoformat(),
        "orderLines": [{"description": "For hånd", "count": 1, "unitPriceExcludingVatCurrency": 100}]}, timeout=10)
    made = session.put(f"{imp.fake.base_url}/order/{order.json()['value']['id']}/:invoice",
                       params={"invoiceDate": day.isoformat()}, timeout=10)
    return made.json()["value"]["invoiceNumber"]
