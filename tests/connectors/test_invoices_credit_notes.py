"""Seed 004's connector and credit notes: a credit note reverses its invoice's voucher in Tripletex (a reversing
voucher linked to the original) with the credit note's PDF attached, exactly once."""
import datetime as dt

from django_scopes import scope

from commerce import services
from integrations.connectors.invoices import rules
from integrations.models import Link, OutboundChange, SyncRecord

from .invoices_setup import VOUCHER_FIELDS, drifti  # noqa: F401
from .master_data_setup import tripletex_settings  # noqa: F401

A = SyncRecord.Action
FIELDS = VOUCHER_FIELDS.replace("id,", "id,reverseVoucher(id),", 1)


def _credit(drifti, invoice, day=dt.date(2026, 3, 10)):
    with scope(tenant=drifti.tenant):
        return services.invoice_credit(tenant=drifti.tenant, invoice=invoice, by=None, day=day)


def _voucher(drifti, voucher_id: int) -> dict:
    session = drifti.fake.session(employee_token=drifti.token)
    return session.get(f"{drifti.fake.base_url}/ledger/voucher/{voucher_id}", params={"fields": FIELDS},
                       timeout=10).json()["value"]


def _reversals(drifti) -> list[dict]:
    return [v for v in drifti.fake.objects(drifti.company_id, "voucher") if v.get("reverseVoucher")
            and not v.get("externalVoucherNumber")]


def test_credit_note_reverses_the_invoices_voucher_linked_to_it_with_the_credit_notes_pdf(drifti):
    invoice = drifti.issue()
    drifti.push()
    note = _credit(drifti, invoice)

    drifti.push()

    original = _voucher(drifti, drifti.link("invoice", invoice.id).tripletex_id)
    reversal = _voucher(drifti, drifti.link("invoice", note.id).tripletex_id)
    assert original["reverseVoucher"]["id"] == reversal["id"] and reversal["reverseVoucher"]["id"] == original["id"]
    assert reversal["date"] == "2026-03-10" and reversal["attachment"]
    document = drifti.fake.objects(drifti.company_id, "document")[-1]
    assert document["fileName"] == f"kreditnota-{note.number}.pdf"
    mirrored = sorted((p["account"]["number"], -p["amountGross"]) for p in original["postings"])
    assert sorted((p["account"]["number"], p["amountGross"]) for p in reversal["postings"]) == mirrored
    receivable = next(p for p in reversal["postings"] if p["account"]["number"] == 1500)
    assert receivable["amountGross"] == -float(invoice.amount_gross) and receivable["customer"]
    (record,) = drifti.records("invoice", note.id)
    assert (record.action, record.rule) == (A.CREATED, str(rules.CREDIT_NOTE_SENT))


def test_credit_note_is_sent_once_even_when_its_change_is_pushed_again(drifti):
    invoice = drifti.issue()
    note = _credit(drifti, invoice)
    drifti.push()
    with scope(tenant=drifti.tenant):
        from integrations.connectors.services import local_change_record

        local_change_record(tenant=drifti.tenant, kind="invoice", local_id=note.id, snapshot={"label": str(note)})

    drifti.push()

    assert len(_reversals(drifti)) == 1
    assert drifti.records("invoice", note.id)[-1].rule == str(rules.ALREADY_SENT)


def test_credit_note_for_an_invoice_not_sent_yet_sends_the_invoice_first_then_reverses_it(drifti):
    invoice = drifti.issue()
    with scope(tenant=drifti.tenant):
        OutboundChange.objects.filter(tenant=drifti.tenant, kind="invoice", local_id=invoice.id).delete()
    note = _credit(drifti, invoice)

    drifti.push()

    assert drifti.voucher(str(invoice.number))["attachment"]
    assert len(_reversals(drifti)) == 1 and drifti.link("invoice", note.id).synced_values["attached"]


def test_reversal_whose_answer_was_lost_is_found_on_the_original_voucher_not_made_twice(drifti):
    invoice = drifti.issue()
    drifti.push()
    note = _credit(drifti, invoice)
    drifti.fake.set_faults(path_prefix="/ledger/voucher/", drop_after_commit=1,
                           company_id=drifti.company_id)
    drifti.push()
    assert len(_reversals(drifti)) == 1 and drifti.link("invoice", note.id) is None  # made there; never heard
    drifti.fake.clear_faults()
    with scope(tenant=drifti.tenant):
        OutboundChange.objects.filter(tenant=drifti.tenant, kind="invoice", local_id=note.id).update(
            next_attempt_at=None)

    drifti.push()

    assert len(_reversals(drifti)) == 1
    link = drifti.link("invoice", note.id)
    assert link.tripletex_id == _reversals(drifti)[0]["id"] and _voucher(drifti, link.tripletex_id)["attachment"]
    assert drifti.records("invoice", note.id)[-1].rule == str(rules.CREDIT_NOTE_FOUND_AFTER_DOUBT)


def test_voucher_reversed_by_hand_in_tripletex_is_linked_and_left_as_it_is(drifti):
    invoice = drifti.issue()
    drifti.push()
    session = drifti.fake.session(employee_token=drifti.token)
    original_id = drifti.link("invoice", invoice.id).tripletex_id
    by_hand = session.put(f"{drifti.fake.base_url}/ledger/voucher/{original_id}/:reverse",
                          params={"date": "2026-03-09"}, timeout=10).json()["value"]
    note = _credit(drifti, invoice)

    drifti.push()

    assert len(_reversals(drifti)) == 1
    assert drifti.link("invoice", note.id).tripletex_id == by_hand["id"]
    assert not _voucher(drifti, by_hand["id"]).get("attachment")  # not ours: nothing added to it
    record = drifti.records("invoice", note.id)[-1]
    assert record.rule == str(rules.CREDIT_NOTE_ALREADY_REVERSED) and "av noen andre" in record.message


def test_credit_note_in_a_closed_period_fails_in_the_admins_words_and_pröv_igjen_sends_it_once_open(drifti):
    invoice = drifti.issue()
    drifti.push()
    note = _credit(drifti, invoice, day=dt.date(2026, 4, 2))
    drifti.fake.lock_period(drifti.company_id, dt.date(2026, 4, 1), dt.date(2026, 4, 30))

    drifti.push()

    failed = drifti.records("invoice", note.id)[-1]
    assert failed.action == A.FAILED and "Perioden er stengt i Tripletex" in failed.message
    assert _reversals(drifti) == []
    drifti.fake.unlock_all(drifti.company_id)
    from integrations.connectors.services import sync_record_retry

    with scope(tenant=drifti.tenant):
        sync_record_retry(tenant=drifti.tenant, record_id=failed.id)  # «Prøv igjen»
    drifti.push()

    assert len(_reversals(drifti)) == 1 and drifti.records("invoice", note.id)[-1].action == A.CREATED
    with scope(tenant=drifti.tenant):
        assert Link.objects.filter(tenant=drifti.tenant, kind="invoice", local_id=note.id).count() == 1
