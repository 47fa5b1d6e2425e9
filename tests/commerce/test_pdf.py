"""The issued invoice's PDF: a real document with what a Norwegian invoice must show."""
import re
import zlib
from decimal import Decimal

from django_scopes import scope

from commerce import services
from commerce.pdf import invoice_pdf

from .conftest import draft


def _text(pdf: bytes) -> str:
    """The text drawn on the pages (fpdf2 compresses each page's content stream with zlib)."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "".join(re.findall(r"\((.*?)\)\s*Tj", "".join(out)))


def test_issued_invoice_pdf_shows_number_kid_due_date_lines_vat_per_rate_and_total(world, sales):
    with scope(tenant=world.a):
        invoice = services.invoice_issue(tenant=world.a, invoice=draft(world.a, sales), by=None)
    pdf = invoice.pdf.read()
    text = _text(pdf)
    assert pdf.startswith(b"%PDF") and b"/Count 1" in pdf
    for expected in ("FAKTURA", "Fakturanummer", invoice.kid, "31.03.2026", "Fjordkaffe AS", "Timeverk", "Kaffe 1 kg",
                     "Mva 25 % av 7 125,00", "Mva 15 % av 569,70", "1 781,25", "85,46", "9 561,41",
                     world.a.org_number, "1001 Kafébygg"):
        assert expected in text, expected
    # 7.5 × 950 = 7125.00 at 25 % (1781.25); 3 × 189.90 = 569.70 at 15 % (85.455 → 85.46)
    assert invoice.amount_gross == Decimal("9561.41")


def test_pdf_is_norwegian_whatever_language_the_issuer_uses(world, sales):
    from django.utils import translation

    with scope(tenant=world.a), translation.override("en"):
        invoice = services.invoice_issue(tenant=world.a, invoice=draft(world.a, sales), by=None)
    assert "Forfallsdato" in _text(invoice.pdf.read())


def test_long_invoice_flows_onto_more_pages(world, sales):
    lines = [{"description": f"Linje {i}", "unit_price": Decimal("10"), "quantity": Decimal("1"), "vat_code": "3"}
             for i in range(80)]
    with scope(tenant=world.a):
        invoice = draft(world.a, sales, lines=lines)
        pdf = invoice_pdf(invoice)
        assert b"/Count 1" not in pdf and "Linje 79" in _text(pdf)


def test_text_outside_latin1_does_not_break_the_pdf(world, sales):
    with scope(tenant=world.a):
        invoice = draft(world.a, sales, lines=[
            {"description": "Kaffe ☕ med emoji", "unit_price": Decimal("10"), "quantity": Decimal("1"),
             "vat_code": "3"}])
        assert "Kaffe ? med emoji" in _text(invoice_pdf(invoice))
