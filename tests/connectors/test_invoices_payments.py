"""Seed 004 (Drifti), payments: by KID/OCR or by hand, posted in Tripletex against the invoice, once."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django_scopes import scope

from commerce.models import LedgerAccount
from integrations.models import OutboundChange, SyncRecord

from .invoices_setup import drifti, tripletex_settings  # noqa: F401

pytestmark = pytest.mark.django_db
Action = SyncRecord.Action


def _payment_postings(drifti, invoice, payment):
    return {p["account"]["number"]: p for p in drifti.voucher(f"{invoice.number}-{payment.id}")["postings"]}


def test_payment_registered_by_kid_is_posted_bank_against_the_invoices_receivable(drifti):
    invoice = drifti.issue()
    drifti.push()
    payment = drifti.pay(invoice, Decimal("1000.00"))
    drifti.push()
    postings = _payment_postings(drifti, invoice, payment)
    assert postings[1920]["amountGross"] == 1000
    receivable = postings[1500]
    assert receivable["amountGross"] == -1000 and receivable["invoiceNumber"] == str(invoice.number)
    assert receivable["customer"]["customerNumber"] == 55501
    (record,) = drifti.records("payment", payment.id)
    assert record.action == Action.CREATED


def test_payment_registered_by_hand_is_posted_the_same_way(drifti):
    invoice = drifti.issue()
    payment = drifti.pay(invoice, kid=False)
    drifti.push()
    postings = _payment_postings(drifti, invoice, payment)
    assert postings[1920]["amountGross"] == float(invoice.amount_gross)
    assert postings[1500]["amountGross"] == -float(invoice.amount_gross)


def test_payment_before_its_invoice_reached_tripletex_sends_the_invoice_first(drifti):
    with scope(tenant=drifti.tenant):
        LedgerAccount.objects.filter(tenant=drifti.tenant, number="3000").update(tripletex_number="")
        invoice = drifti.issue(lines=[{"product": drifti.sales["work"], "quantity": Decimal("1")}])
        drifti.push()  # refused: no sales account
        LedgerAccount.objects.filter(tenant=drifti.tenant, number="3000").update(tripletex_number="3000")
        payment = drifti.pay(invoice)
        drifti.push()
    numbers = [v["externalVoucherNumber"] for v in drifti.vouchers()]
    assert numbers == [str(invoice.number), f"{invoice.number}-{payment.id}"]


def test_payment_whose_invoice_another_worker_is_sending_waits_instead_of_sending_the_invoice_twice(drifti):
    """Found by the fault suite: with two workers, the payment's task sent the invoice while the invoice's own
    task was sending it, and Tripletex got two vouchers for one invoice."""
    from django.utils import timezone

    with scope(tenant=drifti.tenant):
        invoice = drifti.issue()
        payment = drifti.pay(invoice)
        # Another worker has just claimed the invoice's change and is sending it.
        OutboundChange.objects.filter(kind="invoice", local_id=invoice.id).update(
            state=OutboundChange.State.SENDING, claimed_by="other-worker", claimed_at=timezone.now())
        outcome = drifti.push()
        assert drifti.vouchers() == []
        waiting = OutboundChange.objects.get(kind="payment", local_id=payment.id)
        assert (waiting.state, waiting.attempts) == (OutboundChange.State.PENDING, 0)
        assert waiting.next_attempt_at > timezone.now() and outcome.retry_after == 1.0
        assert drifti.records("payment", payment.id) == []
        # That worker is done with the invoice (here: it gives it back); the payment goes when its turn comes.
        OutboundChange.objects.filter(kind="invoice", local_id=invoice.id).update(
            state=OutboundChange.State.PENDING, claimed_by="", claimed_at=None)
        OutboundChange.objects.filter(id=waiting.id).update(next_attempt_at=timezone.now())
        drifti.push()
        numbers = [v["externalVoucherNumber"] for v in drifti.vouchers()]
        assert numbers == [str(invoice.number), f"{invoice.number}-{payment.id}"]


def test_each_payment_is_sent_once(drifti):
    from integrations.connectors.services import local_change_record

    invoice = drifti.issue()
    payment = drifti.pay(invoice)
    drifti.push()
    with scope(tenant=drifti.tenant):
        local_change_record(tenant=drifti.tenant, kind="payment", local_id=payment.id)
    drifti.push()
    assert len(drifti.vouchers()) == 2
    assert [r.action for r in drifti.records("payment", payment.id)] == [Action.CREATED, Action.UNCHANGED]


def test_payment_without_a_mapped_bank_account_is_not_sent_and_the_log_says_so(drifti):
    with scope(tenant=drifti.tenant):
        LedgerAccount.objects.filter(tenant=drifti.tenant, role="bank").update(tripletex_number="")
    invoice = drifti.issue()
    payment = drifti.pay(invoice)
    drifti.push()
    assert [v["externalVoucherNumber"] for v in drifti.vouchers()] == [str(invoice.number)]
    (record,) = drifti.records("payment", payment.id)
    assert record.action == Action.FAILED and "1920 Bank" in record.message


def test_payment_whose_answer_was_lost_is_found_again_not_paid_twice(drifti):
    invoice = drifti.issue()
    drifti.push()
    payment = drifti.pay(invoice)
    drifti.fake.set_faults(path_prefix="/ledger/voucher", drop_after_commit=1, company_id=drifti.company_id)
    drifti.push()
    drifti.fake.clear_faults()
    with scope(tenant=drifti.tenant):
        OutboundChange.objects.filter(tenant=drifti.tenant, kind="payment").update(next_attempt_at=None)
    drifti.push()
    assert [v["externalVoucherNumber"] for v in drifti.vouchers()].count(f"{invoice.number}-{payment.id}") == 1
    assert drifti.link("payment", payment.id)
