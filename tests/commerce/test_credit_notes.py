"""Credit notes (kreditnota, seed 004's leftovers): an issued invoice is corrected by a credit note for all of it."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scope

from commerce import services
from commerce.models import Invoice

from .conftest import draft
from .test_pdf import _text


def test_credit_note_negates_every_line_and_total_of_the_invoice_and_takes_the_next_number(world, sales, issued):
    with scope(tenant=world.a):
        other = services.invoice_issue(tenant=world.a, invoice=draft(world.a, sales), by=None)

        note = services.invoice_credit(tenant=world.a, invoice=issued, by=world.alice, day=dt.date(2026, 3, 10))

        assert note.number == other.number + 1 and note.status == Invoice.Status.ISSUED
        assert note.credited_invoice == issued and note.is_credit_note and str(note) == f"Kreditnota {note.number}"
        assert (note.amount_net, note.amount_vat, note.amount_gross) == (-issued.amount_net, -issued.amount_vat,
                                                                           -issued.amount_gross)
        assert [(ln.description, ln.quantity, ln.unit_price, ln.vat_code, ln.amount) for ln in note.lines.all()] == [
            (ln.description, -ln.quantity, ln.unit_price, ln.vat_code, -ln.amount) for ln in issued.lines.all()]
        assert note.kid == "" and note.invoice_date == note.due_date == dt.date(2026, 3, 10)
        assert (note.customer, note.project) == (issued.customer, issued.project)


def test_an_invoice_is_credited_once_and_neither_a_credit_note_nor_a_draft_can_be_credited(world, sales, issued):
    with scope(tenant=world.a):
        note = services.invoice_credit(tenant=world.a, invoice=issued, by=None)

        with pytest.raises(ValidationError, match=f"allerede kreditert med Kreditnota {note.number}"):
            services.invoice_credit(tenant=world.a, invoice=issued, by=None)
        with pytest.raises(ValidationError, match="kreditnota kan ikke krediteres"):
            services.invoice_credit(tenant=world.a, invoice=note, by=None)
        with pytest.raises(ValidationError, match="Bare en utstedt faktura"):
            services.invoice_credit(tenant=world.a, invoice=draft(world.a, sales), by=None)
        with pytest.raises(ValidationError, match="før fakturaen"):
            services.invoice_credit(tenant=world.a, invoice=services.invoice_issue(
                tenant=world.a, invoice=draft(world.a, sales), by=None), by=None, day=dt.date(2026, 2, 1))
        assert Invoice.objects.filter(tenant=world.a, credited_invoice__isnull=False).count() == 1


def test_credited_invoice_has_nothing_outstanding_and_takes_no_payment(world, sales, issued):
    with scope(tenant=world.a):
        services.invoice_credit(tenant=world.a, invoice=issued, by=None)

        assert services.invoice_outstanding(issued) == Decimal("0.00")
        with pytest.raises(ValidationError):
            services.payment_register(tenant=world.a, invoice=issued, date=dt.date(2026, 3, 20),
                                      amount=Decimal("100.00"), by=None)


def test_credit_note_pdf_says_kreditnota_names_the_credited_invoice_and_asks_for_no_payment(world, sales, issued):
    with scope(tenant=world.a):
        note = services.invoice_credit(tenant=world.a, invoice=issued, by=None, day=dt.date(2026, 3, 10))

        text = _text(note.pdf.read())
        for expected in ("KREDITNOTA", "Kreditnotanummer", "Krediterer faktura", str(issued.number), "-9 561,41",
                         "Ingenting skal betales", "Fjordkaffe AS"):
            assert expected in text, expected
        assert "KID" not in text and "Betal " not in text and note.pdf.name.endswith(f"kreditnota-{note.number}.pdf")


def test_admin_credits_an_issued_invoice_on_its_page_and_each_links_to_the_other(world, sales, issued):
    admin = world.client_for(world.alice)
    page = admin.get(reverse("commerce:invoice_detail", args=[issued.id])).content.decode()
    assert reverse("commerce:invoice_credit", args=[issued.id]) in page

    response = admin.post(reverse("commerce:invoice_credit", args=[issued.id]))

    with scope(tenant=world.a):
        note = Invoice.objects.get(tenant=world.a, credited_invoice=issued)
    assert response.url == reverse("commerce:invoice_detail", args=[note.id])
    page = admin.get(response.url).content.decode()
    assert f"krediterer hele faktura {issued.number}" in page
    page = admin.get(reverse("commerce:invoice_detail", args=[issued.id])).content.decode()
    assert "Fakturaen er kreditert" in page and reverse("commerce:invoice_credit", args=[issued.id]) not in page
    again = admin.post(reverse("commerce:invoice_credit", args=[issued.id]), follow=True).content.decode()
    assert "allerede kreditert" in again
    with scope(tenant=world.a):
        assert Invoice.objects.filter(tenant=world.a, credited_invoice=issued).count() == 1
