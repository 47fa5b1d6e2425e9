"""Seed 004 (Drifti), outgoing invoices: sent on issue as advanced vouchers with the PDF, against the fake over HTTP."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django_scopes import scope

from commerce.models import LedgerAccount
from integrations.models import Link, OutboundChange, SyncRecord
from integrations.tripletex import TripletexClient

from .invoices_setup import drifti, tripletex_settings  # noqa: F401

pytestmark = pytest.mark.django_db
Action = SyncRecord.Action


def test_invoice_is_sent_automatically_when_issued_as_an_advanced_voucher_with_its_pdf(drifti):
    invoice = drifti.issue()
    with scope(tenant=drifti.tenant):
        assert OutboundChange.objects.filter(tenant=drifti.tenant, kind="invoice", local_id=invoice.id).exists()
    drifti.push()
    voucher = drifti.voucher(str(invoice.number))
    assert voucher["date"] == "2026-03-02" and voucher["attachment"]
    documents = drifti.fake.objects(drifti.company_id, "document")
    assert [d["fileName"] for d in documents] == [f"faktura-{invoice.number}.pdf"]
    link = drifti.link("invoice", invoice.id)
    assert link.tripletex_id == voucher["id"] and link.synced_values["attached"]
    (record,) = drifti.records("invoice", invoice.id)
    assert record.action == Action.CREATED and record.tripletex_id == voucher["id"]


def test_voucher_is_posted_against_receivable_with_the_customer_and_sales_with_project_and_vat(drifti):
    invoice = drifti.issue()  # 4 × 1000 at 25 % + 2 × 200 at 15 %
    drifti.push()
    postings = {(p["account"]["number"], p["amountGross"]): p for p in drifti.voucher(str(invoice.number))["postings"]}
    receivable = postings[(1500, 5460)]  # 5000 + 460
    assert receivable["customer"]["customerNumber"] == 55501
    assert receivable["invoiceNumber"] == str(invoice.number)
    high, medium = postings[(3000, -5000)], postings[(3000, -460)]
    assert (high["vatType"]["number"], high["project"]["number"], high["amount"]) == ("3", "7001", -4000)
    assert (medium["vatType"]["number"], medium["project"]["number"], medium["amount"]) == ("31", "7001", -400)
    assert sorted(p["amountGross"] for (n, _a), p in postings.items() if n in (2700, 2701)) == [-1000, -60]
    assert sum(Decimal(str(p["amountGross"])) for p in postings.values() if p["row"] <= 3) == 0


def test_each_invoice_is_sent_once_even_when_its_change_is_pushed_again(drifti):
    invoice = drifti.issue()
    drifti.push()
    from commerce import services
    from integrations.connectors.services import local_change_record

    with scope(tenant=drifti.tenant):
        local_change_record(tenant=drifti.tenant, kind="invoice", local_id=invoice.id)
    drifti.push()
    assert len(drifti.vouchers()) == 1
    assert [r.action for r in drifti.records("invoice", invoice.id)] == [Action.CREATED, Action.UNCHANGED]
    with scope(tenant=drifti.tenant):
        assert services.invoice_outstanding(invoice) == invoice.amount_gross


def test_invoice_costs_two_calls_once_accounts_customer_and_project_are_known(drifti):
    drifti.push()
    drifti.issue()
    drifti.push()  # the first invoice also reads accounts, VAT types and finds or makes customer and project
    drifti.fake.clear_calls()
    for _ in range(3):
        drifti.issue()
    drifti.push()
    calls = {k: v for k, v in drifti.calls().items() if "/token/session" not in k}
    writes = {k: v for k, v in calls.items() if k.startswith("POST")}
    assert sum(writes.values()) == 6 and len(drifti.vouchers()) == 4
    reads = {k: v for k, v in calls.items() if k.startswith("GET")}
    assert sum(reads.values()) <= 2  # accounts and VAT types, read once per run


def test_voucher_created_but_its_answer_lost_is_found_by_our_number_not_sent_twice(drifti):
    invoice = drifti.issue()
    drifti.fake.set_faults(path_prefix="/ledger/voucher", drop_after_commit=1, company_id=drifti.company_id)
    drifti.push()
    assert len(drifti.fake.objects(drifti.company_id, "voucher")) == 1  # Tripletex made it; we never heard
    with scope(tenant=drifti.tenant):
        change = OutboundChange.objects.get(tenant=drifti.tenant, kind="invoice", local_id=invoice.id)
        assert change.state == OutboundChange.State.PENDING and change.attempts == 1
        drifti.fake.clear_faults()
        OutboundChange.objects.filter(id=change.id).update(next_attempt_at=None)
    drifti.push()
    assert len(drifti.vouchers()) == 1 and drifti.voucher(str(invoice.number))["attachment"]
    assert drifti.records("invoice", invoice.id)[-1].rule == "Fantes allerede i Tripletex med vårt bilagsnummer " \
        "etter et svar som uteble: koblet, ikke sendt igjen"


def test_worker_killed_after_sending_leaves_the_invoice_in_doubt_and_it_is_looked_up_first(drifti):
    invoice = drifti.issue()
    drifti.push()
    # As if the worker died after Tripletex made the voucher but before the link was stored.
    with scope(tenant=drifti.tenant):
        Link.objects.filter(tenant=drifti.tenant, kind="invoice").delete()
        OutboundChange.objects.filter(tenant=drifti.tenant, kind="invoice").update(
            state=OutboundChange.State.PENDING, message="in_doubt", attempts=0, next_attempt_at=None)
    drifti.push()
    assert len(drifti.vouchers()) == 1 and drifti.link("invoice", invoice.id)


def test_invoice_whose_sales_account_is_not_mapped_is_not_sent_and_the_log_names_the_account(drifti):
    with scope(tenant=drifti.tenant):
        LedgerAccount.objects.filter(tenant=drifti.tenant, number="3010").update(tripletex_number="")
    invoice = drifti.issue()
    drifti.push()
    assert drifti.fake.objects(drifti.company_id, "voucher") == []
    (record,) = drifti.records("invoice", invoice.id)
    assert record.action == Action.FAILED and "3010 Salg næringsmidler" in record.message
    assert record.rule == "En konto uten konto i Tripletex stopper sendingen til den er koblet i Kontoplan"


def test_invoice_sent_after_the_missing_account_is_mapped_and_pröv_igjen_pressed(drifti):
    from integrations.connectors.services import sync_record_retry

    with scope(tenant=drifti.tenant):
        LedgerAccount.objects.filter(tenant=drifti.tenant, number="3010").update(tripletex_number="")
        invoice = drifti.issue()
        drifti.push()
        LedgerAccount.objects.filter(tenant=drifti.tenant, number="3010").update(tripletex_number="3000")
        sync_record_retry(tenant=drifti.tenant, record_id=drifti.records("invoice", invoice.id)[0].id)
        drifti.push()
    assert drifti.voucher(str(invoice.number))["attachment"]


def test_invoice_in_a_period_closed_in_tripletex_fails_in_the_admins_words(drifti):
    drifti.fake.lock_period(drifti.company_id, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    invoice = drifti.issue()
    drifti.push()
    record = drifti.records("invoice", invoice.id)[-1]
    assert record.action == Action.FAILED and record.message.startswith("Perioden er stengt i Tripletex.")
    assert "Prøv igjen" in record.message and "2026-03-02" in record.message
    with scope(tenant=drifti.tenant):
        assert OutboundChange.objects.get(kind="invoice", local_id=invoice.id).state == OutboundChange.State.FAILED


def test_customer_another_worker_creates_between_our_lookup_and_our_create_is_used_not_refused(drifti, monkeypatch):
    """Found by the fault suite: the two-way connector sent the same new customer at the same moment; our
    create was refused for the number it had just taken, and the invoice stopped at "failed"."""
    customer = drifti.sales["customer"]
    elsewhere = []
    lookup = TripletexClient.customer_list

    def lookup_then_created_by_another_worker(self, *args, **kwargs):
        hits = lookup(self, *args, **kwargs)
        if not elsewhere:
            elsewhere.append(drifti.fake.change(drifti.company_id, "customer", name=customer.name, isCustomer=True,
                                                customerNumber=int(customer.customer_number)))
        return hits

    monkeypatch.setattr(TripletexClient, "customer_list", lookup_then_created_by_another_worker)
    invoice = drifti.issue()
    drifti.push()
    voucher = drifti.voucher(str(invoice.number))
    assert voucher["attachment"] and voucher["postings"][0]["customer"]["id"] == elsewhere[0]["id"]
    customers = [c for c in drifti.fake.objects(drifti.company_id, "customer")
                 if c["customerNumber"] == int(customer.customer_number)]
    assert [c["id"] for c in customers] == [elsewhere[0]["id"]]
    assert drifti.link("customer", customer.id).tripletex_id == elsewhere[0]["id"]
    with scope(tenant=drifti.tenant):
        assert OutboundChange.objects.get(kind="invoice", local_id=invoice.id).state == OutboundChange.State.DONE


def test_customer_is_searched_by_customer_number_first_and_used_when_found(drifti):
    theirs = drifti.fake.change(drifti.company_id, "customer", name="Fjordkaffe (Tripletex)", customerNumber=55501)
    invoice = drifti.issue()
    drifti.push()
    postings = drifti.voucher(str(invoice.number))["postings"]
    assert next(p for p in postings if p["row"] == 1)["customer"]["id"] == theirs["id"]
    assert len([c for c in drifti.fake.objects(drifti.company_id, "customer") if c.get("customerNumber") == 55501]) == 1
    assert drifti.link("customer", drifti.sales["customer"].id).tripletex_id == theirs["id"]


def test_customer_not_found_by_number_is_created_once(drifti):
    first, second = drifti.issue(), drifti.issue()
    drifti.push()
    made = [c for c in drifti.fake.objects(drifti.company_id, "customer") if c.get("customerNumber") == 55501]
    assert len(made) == 1 and made[0]["name"] == "Fjordkaffe AS"
    assert {p["customer"]["id"] for inv in (first, second)
            for p in drifti.voucher(str(inv.number))["postings"] if p["row"] == 1} == {made[0]["id"]}


def test_project_is_used_only_on_an_exact_number_match(drifti):
    near = drifti.fake.change(drifti.company_id, "project", name="Nesten", number="70011", startDate="2026-01-01",
                              projectManager={"id": drifti.fake.objects(drifti.company_id, "employee")[0]["id"]})
    invoice = drifti.issue()
    drifti.push()
    projects = [p for p in drifti.fake.objects(drifti.company_id, "project") if p["number"] in ("7001", "70011")]
    assert sorted(p["number"] for p in projects) == ["7001", "70011"]
    made = next(p for p in projects if p["number"] == "7001")
    assert made["id"] != near["id"] and made["name"] == "Kafébygg"
    assert {p["project"]["number"] for p in drifti.voucher(str(invoice.number))["postings"] if p.get("project")} == {
        "7001"}


def test_project_made_in_tripletex_by_hand_with_the_same_number_is_used(drifti):
    manager = drifti.fake.objects(drifti.company_id, "employee")[0]["id"]
    theirs = drifti.fake.change(drifti.company_id, "project", name="Kafébygg (manuelt)", number="7001",
                                startDate="2026-01-01", projectManager={"id": manager})
    drifti.issue()
    drifti.push()
    assert [p["id"] for p in drifti.fake.objects(drifti.company_id, "project") if p["number"] == "7001"] == [
        theirs["id"]]
    assert drifti.link("project", drifti.sales["project"].id).tripletex_id == theirs["id"]


def test_project_made_before_the_connector_was_on_is_created_when_an_invoice_needs_it(drifti):
    from hr.models import Project

    with scope(tenant=drifti.tenant):
        Project.objects.filter(id=drifti.sales["project"].id).update(start_date=None)
    drifti.issue()
    drifti.push()
    made = next(p for p in drifti.fake.objects(drifti.company_id, "project") if p["number"] == "7001")
    assert made["startDate"] == "2026-03-02"  # no start date here: the invoice's date


def test_switching_the_connector_on_sends_invoices_issued_before(world, drifti):
    from integrations import tasks
    from integrations.connectors.services import connector_disable, connector_enable
    from integrations.models import SyncRun

    with scope(tenant=drifti.tenant):
        connector_disable(tenant=drifti.tenant, name="invoices", by=None)
        before = drifti.issue()
        assert not OutboundChange.objects.filter(kind="invoice", local_id=before.id).exists()
        connector_enable(tenant=drifti.tenant, name="invoices", by=world.alice)
        run = SyncRun.objects.filter(tenant=drifti.tenant, connector="invoices").latest("id")
    tasks.connector_run(run.id)  # as the worker runs the run the switch queued
    drifti.push()
    assert drifti.voucher(str(before.number))["attachment"]
