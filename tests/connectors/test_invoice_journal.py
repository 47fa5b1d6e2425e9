"""Seed 002 (OC2), the invoice journal: issued invoices grouped in a "bunt" become invoiced orders in Tripletex."""
import datetime as dt
from decimal import Decimal

import pytest
from django_scopes import scope

from commerce import services
from commerce.models import Invoice, InvoiceJournal
from integrations import tasks
from integrations.connectors.customer_import import journal as journals
from integrations.connectors.customer_import import rules
from integrations.models import Link, SyncRecord, SyncRun
from tests.factories import ProjectFactory

from .customer_import_setup import imp, imported  # noqa: F401
from .master_data_setup import tripletex_settings  # noqa: F401

A = SyncRecord.Action
DAY = dt.date(2026, 3, 2)
ORDER_FIELDS = ("id,number,reference,orderDate,deliveryDate,invoicesDueIn,invoiceComment,customer(customerNumber),"
                "department(departmentNumber),project(number),currency(code),"
                "orderLines(description,count,unitPriceExcludingVatCurrency,vatType(number))")


@pytest.fixture
def shop(imported):
    """The imported customers here, and a project with the same number as one in Tripletex."""
    theirs = imported.fake.objects(imported.company_id, "project")[0]
    imported.project = ProjectFactory(tenant=imported.tenant, number=str(theirs["number"]), name=theirs["name"])
    return imported


def _issue(shop, *, customer=None, **data):
    from hr.models import Customer

    lines = [{"description": "Timeverk", "unit_price": Decimal("1000.00"), "quantity": Decimal("4"), "vat_code": "3"},
             {"description": "Kaffe", "unit_price": Decimal("200.00"), "quantity": Decimal("2"), "vat_code": "31"}]
    with scope(tenant=shop.tenant):
        customer = customer or Customer.objects.filter(tenant=shop.tenant).order_by("customer_number").first()
        data = {"customer": customer, "invoice_date": DAY, "order_number": "", "department_number": "", **data}
        draft = services.invoice_draft_save(tenant=shop.tenant, data=data, lines=lines)
        return services.invoice_issue(tenant=shop.tenant, invoice=draft, by=None)


def _send(shop, invoices) -> tuple[InvoiceJournal, SyncRun]:
    with scope(tenant=shop.tenant):
        journal = services.invoice_journal_create(tenant=shop.tenant, invoice_ids=[i.id for i in invoices], by=None)
    return journal, _resend(shop, journal)


def _resend(shop, journal) -> SyncRun:
    with scope(tenant=shop.tenant):
        run = journals.journal_send_request(journal=journal)
    # The queued task itself, run here: it must enter the company's scope on its own.
    tasks.journal_send(run.id, journal.id)
    run.refresh_from_db()
    journal.refresh_from_db()
    return run


def _orders(shop) -> list[dict]:
    session = shop.fake.session(employee_token=shop.connection.employee_token)
    ids = sorted(o["id"] for o in shop.fake.objects(shop.company_id, "order"))
    return [session.get(f"{shop.fake.base_url}/order/{i}", params={"fields": ORDER_FIELDS}, timeout=10).json()["value"]
            for i in ids]


def _invoices(shop) -> list[dict]:
    return shop.fake.objects(shop.company_id, "invoice")


def test_invoice_in_a_journal_becomes_an_invoiced_order_with_every_field_the_seed_lists(shop):
    invoice = _issue(shop, project=shop.project, department_number="2", order_number="A-77",
                     order_date=dt.date(2026, 2, 27), delivery_date=dt.date(2026, 2, 28))

    journal, run = _send(shop, [invoice])

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert journal.status == InvoiceJournal.Status.SENT
    (order,) = _orders(shop)
    assert (order["number"], order["reference"]) == ("A-77", str(invoice.number))
    assert (order["orderDate"], order["deliveryDate"]) == ("2026-02-27", "2026-02-28")
    assert order["customer"]["customerNumber"] == int(invoice.customer.customer_number)
    assert order["department"]["departmentNumber"] == "2"
    assert order["project"]["number"] == shop.project.number
    assert order["currency"]["code"] == "NOK"
    assert order["invoicesDueIn"] == (invoice.due_date - invoice.invoice_date).days
    assert f"KID {invoice.kid}" in order["invoiceComment"] and str(invoice.number) in order["invoiceComment"]
    assert [(ln["description"], ln["count"], ln["unitPriceExcludingVatCurrency"], ln["vatType"]["number"])
            for ln in order["orderLines"]] == [("Timeverk", 4.0, 1000.0, "3"), ("Kaffe", 2.0, 200.0, "31")]
    (made,) = _invoices(shop)
    assert made["invoiceDate"] == DAY.isoformat() and [o["id"] for o in made["orders"]] == [order["id"]]
    assert made["invoiceDueDate"] == invoice.due_date.isoformat()
    with scope(tenant=shop.tenant):
        record = SyncRecord.objects.get(run=run, local_id=invoice.id)
    assert (record.action, record.rule) == (A.CREATED, str(rules.JOURNAL_SENT))


def test_journal_costs_two_calls_per_invoice_after_a_few_reads(shop):
    invoices = [_issue(shop) for _ in range(6)]
    before = shop.calls()

    _send(shop, invoices)

    after = shop.calls()
    calls = sum(after.values()) - sum(before.values())
    assert calls <= 2 * len(invoices) + 5, {k: after[k] - before.get(k, 0) for k in after}


def test_invoice_carries_our_invoice_number_and_kid_into_tripletex(shop):
    _issue(shop)  # number 1 here, never sent: Tripletex's own numbering would have given the next one 1
    invoice = _issue(shop)

    journal, run = _send(shop, [invoice])

    (made,) = _invoices(shop)
    assert (made["invoiceNumber"], made["kid"]) == (invoice.number, invoice.kid)
    with scope(tenant=shop.tenant):
        link = Link.objects.get(tenant=shop.tenant, kind="invoice", local_id=invoice.id)
        record = SyncRecord.objects.get(run=run, local_id=invoice.id)
    assert (link.synced_values["invoice_number"], link.synced_values["kid"]) == (str(invoice.number), invoice.kid)
    assert (record.action, record.message) == (A.CREATED, "")


def test_invoice_number_taken_in_tripletex_is_numbered_there_keeps_our_kid_and_shows_both_numbers(shop):
    by_hand = _order_invoiced_in_tripletex(shop)  # Tripletex's own series: its first invoice is number 1
    invoice = _issue(shop)
    assert invoice.number == by_hand["invoiceNumber"]

    journal, run = _send(shop, [invoice])

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    made = next(i for i in _invoices(shop) if i["id"] != by_hand["id"])
    assert made["invoiceNumber"] != invoice.number and made["kid"] == invoice.kid
    with scope(tenant=shop.tenant):
        link = Link.objects.get(tenant=shop.tenant, kind="invoice", local_id=invoice.id)
        assert link.synced_values["invoice_number"] == str(made["invoiceNumber"])
        message = SyncRecord.objects.get(run=run, local_id=invoice.id).message
        assert f"Fakturanummer {invoice.number} var allerede brukt i Tripletex" in message
        assert f"nummer {made['invoiceNumber']} (vårt: {invoice.number})" in message
        from commerce.selectors import journal_rows

        (row,) = journal_rows(journal=journal)
    assert row.tripletex_number == str(made["invoiceNumber"])


def _order_invoiced_in_tripletex(shop) -> dict:
    """An invoice someone made in Tripletex's own screens, numbered in its own series."""
    session = shop.fake.session(employee_token=shop.connection.employee_token)
    customer = shop.customers()[0]["id"]
    order = session.post(f"{shop.fake.base_url}/order", json={
        "customer": {"id": customer}, "orderDate": DAY.isoformat(), "deliveryDate": DAY.isoformat(),
        "orderLines": [{"description": "For hånd", "count": 1, "unitPriceExcludingVatCurrency": 100}]}, timeout=10)
    made = session.put(f"{shop.fake.base_url}/order/{order.json()['value']['id']}/:invoice",
                       params={"invoiceDate": DAY.isoformat()}, timeout=10)
    assert made.status_code == 200, made.text
    return made.json()["value"]


def test_invoice_whose_customer_is_not_in_tripletex_stops_with_a_clear_message_and_is_not_created(shop):
    from tests.factories import CustomerFactory

    with scope(tenant=shop.tenant):
        stranger = CustomerFactory(tenant=shop.tenant, customer_number="88888", name="Ukjent Kunde AS")
    invoice = _issue(shop, customer=stranger)
    fine = _issue(shop)

    journal, run = _send(shop, [invoice, fine])

    assert run.status == SyncRun.Status.PARTIAL
    with scope(tenant=shop.tenant):
        failed = SyncRecord.objects.get(run=run, local_id=invoice.id)
    assert failed.action == A.FAILED and "88888" in failed.message and "finnes ikke i Tripletex" in failed.message
    assert [o["reference"] for o in _orders(shop)] == [str(fine.number)]
    assert not [c for c in shop.customers() if str(c.get("customerNumber")) == "88888"]


def test_invoice_whose_department_or_project_is_not_in_tripletex_stops_with_a_clear_message(shop):
    no_department = _issue(shop, department_number="404")
    with scope(tenant=shop.tenant):
        no_project = _issue(shop, project=ProjectFactory(tenant=shop.tenant, number="99999", name="Ukjent"))

    journal, run = _send(shop, [no_department, no_project])

    with scope(tenant=shop.tenant):
        assert "Avdeling 404" in SyncRecord.objects.get(run=run, local_id=no_department.id).message
        assert "Prosjekt 99999" in SyncRecord.objects.get(run=run, local_id=no_project.id).message
    assert _orders(shop) == []


def test_journal_says_so_when_tripletex_has_no_bank_account_and_try_again_sends_it_once_fixed(shop):
    invoices = [_issue(shop), _issue(shop)]
    shop.fake.settings(no_bank_account=True)

    journal, run = _send(shop, invoices)

    assert journal.status == InvoiceJournal.Status.FAILED
    with scope(tenant=shop.tenant):
        messages = [r.message for r in SyncRecord.objects.filter(run=run)]
    assert len(messages) == 2 and all("bankkonto" in m for m in messages)
    assert _invoices(shop) == []

    shop.fake.settings(no_bank_account=False)
    again = _resend(shop, journal)

    with scope(tenant=shop.tenant):
        assert again.status == SyncRun.Status.SUCCEEDED, [r.message for r in SyncRecord.objects.filter(run=again)]
    assert journal.status == InvoiceJournal.Status.SENT
    assert len(_invoices(shop)) == 2 and len(_orders(shop)) == 2


def test_invoice_is_sent_once_a_second_send_logs_it_as_already_there(shop):
    invoice = _issue(shop)
    journal, _run = _send(shop, [invoice])

    again = _resend(shop, journal)

    with scope(tenant=shop.tenant):
        assert SyncRecord.objects.get(run=again, local_id=invoice.id).action == A.UNCHANGED
    assert len(_orders(shop)) == 1 and len(_invoices(shop)) == 1


def test_order_made_before_a_lost_answer_is_found_by_number_and_not_made_again(shop, monkeypatch):
    from integrations.tripletex import TripletexClient

    invoice = _issue(shop)
    original = TripletexClient.invoice_create

    def killed(self, *args, **kwargs):
        original(self, *args, **kwargs)  # Tripletex made the invoice; the worker died before it heard so
        raise SystemExit

    monkeypatch.setattr(TripletexClient, "invoice_create", killed)
    with scope(tenant=shop.tenant):
        journal = services.invoice_journal_create(tenant=shop.tenant, invoice_ids=[invoice.id], by=None)
        run = journals.journal_send_request(journal=journal)
    with pytest.raises(SystemExit):
        tasks.journal_send(run.id, journal.id)
    with scope(tenant=shop.tenant):
        Link.objects.filter(tenant=shop.tenant, kind="invoice").delete()  # not even the order's id was kept
    monkeypatch.setattr(TripletexClient, "invoice_create", original)

    # The broker hands the unacknowledged task to another worker.
    tasks.journal_send(run.id, journal.id)

    with scope(tenant=shop.tenant):
        record = SyncRecord.objects.get(run=run, local_id=invoice.id)
    assert (record.action, record.rule) == (A.CREATED, str(rules.JOURNAL_FOUND_AFTER_DOUBT))
    assert len(_orders(shop)) == 1 and len(_invoices(shop)) == 1


def test_only_issued_invoices_in_no_other_journal_can_be_put_in_a_journal(shop):
    from django.core.exceptions import ValidationError

    invoice = _issue(shop)
    with scope(tenant=shop.tenant):
        services.invoice_journal_create(tenant=shop.tenant, invoice_ids=[invoice.id], by=None)
        with pytest.raises(ValidationError, match="Allerede i en bunt"):
            services.invoice_journal_create(tenant=shop.tenant, invoice_ids=[invoice.id], by=None)


def test_connector_sends_each_days_journal_automatically_when_the_option_is_on(
        shop, django_capture_on_commit_callbacks):
    from config import celery_app

    invoice = _issue(shop)
    with scope(tenant=shop.tenant):
        Invoice.objects.filter(id=invoice.id).update(issued_at=dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC))
    _issue(shop)  # issued today: it waits for tomorrow's journal
    shop.config.options = {**shop.config.options, "journal_daily": True}
    shop.config.save()

    before, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            shop.run()
    finally:
        celery_app.conf.task_always_eager = before

    with scope(tenant=shop.tenant):
        journal = InvoiceJournal.objects.get(tenant=shop.tenant)
    assert journal.day == dt.date(2026, 3, 2) and journal.status == InvoiceJournal.Status.SENT
    assert [o["reference"] for o in _orders(shop)] == [str(invoice.number)]


def test_admin_groups_issued_invoices_into_a_journal_on_the_page_and_sends_it(shop, world,
                                                                               django_capture_on_commit_callbacks):
    from django.urls import reverse

    first, second = _issue(shop), _issue(shop)
    admin = world.client_for(world.alice)

    page = admin.get(reverse("commerce:journals"))
    assert page.status_code == 200 and f'value="{first.id}"' in page.content.decode()
    created = admin.post(reverse("commerce:journals"), {"invoices": [first.id, second.id]})
    with scope(tenant=shop.tenant):
        journal = InvoiceJournal.objects.get(tenant=shop.tenant)
    assert created.url == reverse("commerce:journal_detail", args=[journal.id])
    with django_capture_on_commit_callbacks() as queued:
        admin.post(reverse("commerce:journal_send", args=[journal.id]))

    journal.refresh_from_db()
    assert journal.status == InvoiceJournal.Status.SENDING and len(queued) == 1
    waiting = admin.get(reverse("commerce:journal_detail", args=[journal.id])).content.decode()
    assert "sendes til Tripletex" in waiting and 'hx-trigger="every 1s"' in waiting  # it asks again by itself
    run = journal.run
    tasks.journal_send(run.id, journal.id)  # the queued task, in a worker
    run.refresh_from_db()
    detail = admin.get(reverse("commerce:journal_detail", args=[journal.id])).content.decode()
    assert run.status == SyncRun.Status.SUCCEEDED and "Sendt" in detail and "hx-trigger" not in detail


def test_journal_is_not_sent_while_the_connector_is_off(shop, world):
    from django.urls import reverse

    invoice = _issue(shop)
    with scope(tenant=shop.tenant):
        journal = services.invoice_journal_create(tenant=shop.tenant, invoice_ids=[invoice.id], by=None)
    shop.config.enabled = False
    shop.config.save()

    page = world.client_for(world.alice).post(reverse("commerce:journal_send", args=[journal.id]), follow=True)

    assert "Kundeimport og fakturajournal" in page.content.decode()
    journal.refresh_from_db()
    assert journal.status == InvoiceJournal.Status.OPEN and journal.run is None


def test_journal_pages_are_for_admins_only(shop, world):
    from django.urls import reverse

    assert world.client_for(world.carol).get(reverse("commerce:journals")).status_code in (302, 403, 404)


def _credit(shop, invoice, day=DAY + dt.timedelta(days=5)):
    with scope(tenant=shop.tenant):
        return services.invoice_credit(tenant=shop.tenant, invoice=invoice, by=None, day=day)


def test_credit_note_in_a_journal_becomes_tripletexs_credit_note_of_the_invoice_it_credits_once(shop):
    invoice = _issue(shop)
    _send(shop, [invoice])
    note = _credit(shop, invoice)

    journal, run = _send(shop, [note])

    with scope(tenant=shop.tenant):
        assert run.status == SyncRun.Status.SUCCEEDED, [r.message for r in SyncRecord.objects.filter(run=run)]
        theirs = {i["id"]: i for i in _invoices(shop)}
        original = theirs[Link.objects.get(tenant=shop.tenant, kind="invoice", local_id=invoice.id).synced_values[
            "invoice_id"]]
        made = theirs[Link.objects.get(tenant=shop.tenant, kind="invoice", local_id=note.id).synced_values[
            "invoice_id"]]
        assert original["isCredited"] and made["isCreditNote"] and made["creditedInvoice"] == original["id"]
        assert made["amount"] == -original["amount"] and made["invoiceDate"] == note.invoice_date.isoformat()
        record = SyncRecord.objects.get(run=run, local_id=note.id)
        assert (record.action, record.rule) == (A.CREATED, str(rules.JOURNAL_CREDIT_NOTE))

    again = _resend(shop, journal)

    with scope(tenant=shop.tenant):
        assert SyncRecord.objects.get(run=again, local_id=note.id).action == A.UNCHANGED
    assert len(_invoices(shop)) == 2 and len(_orders(shop)) == 1


def test_credit_note_whose_invoice_is_not_invoiced_in_tripletex_stops_with_a_clear_message(shop):
    invoice = _issue(shop)
    note = _credit(shop, invoice)

    journal, run = _send(shop, [note])

    with scope(tenant=shop.tenant):
        failed = SyncRecord.objects.get(run=run, local_id=note.id)
    assert failed.action == A.FAILED and f"faktura {invoice.number}, som ikke er fakturert i Tripletex" in \
        failed.message
    assert _invoices(shop) == []


def test_invoice_credited_by_hand_in_tripletex_is_linked_to_our_credit_note_not_credited_again(shop):
    invoice = _issue(shop)
    _send(shop, [invoice])
    with scope(tenant=shop.tenant):
        theirs = Link.objects.get(tenant=shop.tenant, kind="invoice", local_id=invoice.id).synced_values["invoice_id"]
    session = shop.fake.session(employee_token=shop.connection.employee_token)
    by_hand = session.put(f"{shop.fake.base_url}/invoice/{theirs}/:createCreditNote",
                          params={"date": (DAY + dt.timedelta(days=1)).isoformat()}, timeout=10).json()["value"]
    note = _credit(shop, invoice)

    journal, run = _send(shop, [note])

    assert len(_invoices(shop)) == 2
    with scope(tenant=shop.tenant):
        link = Link.objects.get(tenant=shop.tenant, kind="invoice", local_id=note.id)
        assert link.synced_values["invoice_id"] == by_hand["id"]
        assert SyncRecord.objects.get(run=run, local_id=note.id).rule == str(rules.JOURNAL_CREDITED_THERE)
