"""Seed 004: Tripletex's refusals of a missing bank account and a closed ("locked") project are shown in the
admin's words, and «Prøv igjen» sends the record once the cause is fixed in Tripletex (the fake, over HTTP)."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scope

from integrations.models import OutboundChange, SyncRecord

from .invoices_setup import drifti, tripletex_settings  # noqa: F401

pytestmark = pytest.mark.django_db
Action = SyncRecord.Action


def _bank_account(drifti) -> dict:
    return next(a for a in drifti.fake.objects(drifti.company_id, "ledger_account") if a["number"] == 1920)


def _retry_from_the_log(drifti, world, record: SyncRecord) -> str:
    admin = world.client_for(world.alice, world.a)
    response = admin.post(reverse("integrations:record_retry", args=[record.id]), follow=True)
    assert response.status_code == 200
    drifti.push()
    return response.content.decode()


def test_payment_refused_for_a_bank_account_without_its_number_says_so_in_the_admins_words(drifti, world):
    drifti.fake.change(drifti.company_id, "ledger_account", _bank_account(drifti)["id"], bankAccountNumber="")
    invoice = drifti.issue()
    payment = drifti.pay(invoice)
    drifti.push()
    record = drifti.records("payment", payment.id)[-1]
    assert record.action == Action.FAILED
    assert record.message.startswith("Selskapet mangler bankkonto i Tripletex. Legg den inn der og trykk «Prøv igjen».")
    assert "1920 Bankinnskudd mangler kontonummer" in record.message  # Tripletex's own words after ours
    with scope(tenant=drifti.tenant):
        assert OutboundChange.objects.get(kind="payment", local_id=payment.id).state == OutboundChange.State.FAILED
    log = world.client_for(world.alice, world.a).get(reverse("integrations:sync_log")).content.decode()
    assert "Selskapet mangler bankkonto i Tripletex." in log
    assert [v["externalVoucherNumber"] for v in drifti.vouchers()] == [str(invoice.number)]


def test_payment_is_sent_by_proev_igjen_once_the_bank_account_number_is_registered(drifti, world):
    bank = _bank_account(drifti)
    drifti.fake.change(drifti.company_id, "ledger_account", bank["id"], bankAccountNumber="")
    invoice = drifti.issue()
    payment = drifti.pay(invoice)
    drifti.push()
    drifti.fake.change(drifti.company_id, "ledger_account", bank["id"], bankAccountNumber="15038212343")
    _retry_from_the_log(drifti, world, drifti.records("payment", payment.id)[-1])
    assert drifti.voucher(f"{invoice.number}-{payment.id}")
    assert drifti.records("payment", payment.id)[-1].action == Action.CREATED


def _closed_project(drifti):
    drifti.issue()
    drifti.push()  # the project is made in Tripletex with the first invoice
    project = next(p for p in drifti.fake.objects(drifti.company_id, "project") if p["number"] == "7001")
    drifti.fake.change(drifti.company_id, "project", project["id"], isClosed=True)
    return project


def test_invoice_on_a_project_closed_in_tripletex_is_refused_in_the_admins_words(drifti, world):
    _closed_project(drifti)
    invoice = drifti.issue()
    drifti.push()
    record = drifti.records("invoice", invoice.id)[-1]
    assert record.action == Action.FAILED
    assert record.message.startswith(
        "Prosjektet er avsluttet eller låst i Tripletex. Åpne det der og trykk «Prøv igjen».")
    assert "Prosjektet 7001 Kafébygg er avsluttet" in record.message
    assert len(drifti.vouchers()) == 1


def test_invoice_is_sent_by_proev_igjen_once_the_project_is_reopened(drifti, world):
    project = _closed_project(drifti)
    invoice = drifti.issue()
    drifti.push()
    drifti.fake.change(drifti.company_id, "project", project["id"], isClosed=False)
    page = _retry_from_the_log(drifti, world, drifti.records("invoice", invoice.id)[-1])
    assert "sendes til Tripletex på nytt" in page
    voucher = drifti.voucher(str(invoice.number))
    assert voucher["attachment"]
    assert {p["project"]["number"] for p in voucher["postings"] if p.get("project")} == {"7001"}
