"""The invoice as a PDF, made with fpdf2 when the invoice is issued.

fpdf2 is pure Python (its one compiled dependency, Pillow, ships wheels), so it installs from PyPI with no
system libraries; its built-in Helvetica covers Latin-1, which holds every Norwegian letter.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from fpdf import FPDF

from .models import Invoice
from .money import VatCode, invoice_totals

GREEN = (31, 122, 76)


def _kr(amount: Decimal) -> str:
    # "12 345,60" as Norwegian invoices print it, whatever the user's language.
    whole, _, ore = f"{amount:.2f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return f"{sign}{' '.join(groups) or '0'},{ore}"


def _qty(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}".replace(".", ",")


def _date(day: dt.date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


def _latin1(text: str) -> str:
    # The core font has no glyphs outside Latin-1; anything else (an emoji in a description) becomes "?".
    return str(text).encode("latin-1", "replace").decode("latin-1")


class _Doc(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(format="A4", unit="mm")
        self.footer_text = footer_text
        self.set_auto_page_break(auto=True, margin=22)
        self.set_margins(18, 18, 18)

    def footer(self):
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, _latin1(self.footer_text), align="C")


def invoice_pdf(invoice: Invoice, *, lines=None, payee: dict | None = None) -> bytes:
    """The issued invoice's PDF. `payee` is the company (name, org number) printed as the sender."""
    tenant = invoice.tenant
    payee = payee or {"name": tenant.name, "org_number": tenant.org_number}
    lines = list(lines if lines is not None else invoice.lines.all())
    customer = invoice.customer
    doc = _Doc(_("%(name)s · Org.nr. %(org)s MVA") % {"name": payee["name"], "org": payee["org_number"]})
    doc.set_title(_latin1(str(invoice)))
    doc.set_author(_latin1(payee["name"]))
    doc.set_creator("GrønnJobb")
    doc.add_page()

    doc.set_font("Helvetica", "B", 16)
    doc.set_text_color(*GREEN)
    doc.cell(110, 9, _latin1(payee["name"]))
    doc.set_text_color(0, 0, 0)
    credit = invoice.credited_invoice if invoice.credited_invoice_id else None
    doc.cell(0, 9, _latin1(_("KREDITNOTA") if credit else _("FAKTURA")), align="R", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", size=9)
    doc.cell(0, 5, _latin1(_("Org.nr. %(org)s MVA") % {"org": payee["org_number"]}), new_x="LMARGIN", new_y="NEXT")
    doc.ln(8)

    top = doc.get_y()
    doc.set_font("Helvetica", "B", 10)
    doc.cell(100, 5, _latin1(customer.name), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", size=10)
    for text in (customer.address, " ".join(x for x in (customer.postal_code, customer.city) if x)):
        if text:
            doc.cell(100, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    if customer.org_number:
        doc.cell(100, 5, _latin1(_("Org.nr. %(org)s") % {"org": customer.org_number}), new_x="LMARGIN", new_y="NEXT")

    if credit:
        facts = [(_("Kreditnotanummer"), str(invoice.number)), (_("Dato"), _date(invoice.invoice_date)),
                 (_("Krediterer faktura"), str(credit.number)), (_("Fakturadato"), _date(credit.invoice_date))]
    else:
        facts = [(_("Fakturanummer"), str(invoice.number or "")), (_("Fakturadato"), _date(invoice.invoice_date)),
                 (_("Forfallsdato"), _date(invoice.due_date)), (_("KID"), invoice.kid)]
    facts += [
        (_("Kundenummer"), customer.customer_number), (_("Leveringsdato"), _date(invoice.delivery_date)),
        (_("Ordrenummer"), invoice.order_number), (_("Ordredato"), _date(invoice.order_date)),
        (_("Prosjekt"), str(invoice.project) if invoice.project_id else ""),
        (_("Avdeling"), invoice.department_number), (_("Valuta"), invoice.currency),
    ]
    doc.set_y(top)
    for label, value in facts:
        if value:
            doc.set_x(120)
            doc.set_font("Helvetica", size=9)
            doc.cell(33, 5, _latin1(label))
            doc.set_font("Helvetica", "B", 9)
            doc.cell(0, 5, _latin1(value), align="R", new_x="LMARGIN", new_y="NEXT")
    doc.set_y(max(doc.get_y(), top + 35) + 6)

    widths = (78, 20, 28, 16, 32)
    heads = (_("Beskrivelse"), _("Antall"), _("Enhetspris"), _("Mva"), _("Beløp eks. mva"))
    doc.set_font("Helvetica", "B", 9)
    doc.set_fill_color(232, 243, 237)
    for w, head in zip(widths, heads):
        doc.cell(w, 7, _latin1(head), fill=True, align="L" if head == heads[0] else "R")
    doc.ln()
    doc.set_font("Helvetica", size=9)
    rates = {code.value: code.label.split(" ")[0] + " %" for code in VatCode}
    for line in lines:
        doc.cell(widths[0], 6, _latin1(line.description[:60]))
        doc.cell(widths[1], 6, _qty(line.quantity), align="R")
        doc.cell(widths[2], 6, _kr(line.unit_price), align="R")
        doc.cell(widths[3], 6, rates.get(line.vat_code, line.vat_code), align="R")
        doc.cell(widths[4], 6, _kr(line.amount), align="R", new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)

    totals = invoice_totals((line.vat_code, line.amount) for line in lines)
    label_w, value_w = 60, 32
    left = doc.l_margin + sum(widths) - label_w - value_w

    def total_row(label: str, value: str, *, bold: bool = False) -> None:
        doc.set_x(left)
        doc.set_font("Helvetica", "B" if bold else "", 10 if bold else 9)
        doc.cell(label_w, 6, _latin1(label))
        doc.cell(value_w, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")

    total_row(_("Sum eks. mva"), _kr(totals.net))
    for group in totals.groups:
        total_row(_("Mva %(rate)s %% av %(base)s") % {"rate": f"{group.rate:.0f}", "base": _kr(group.base)},
                  _kr(group.vat))
    if credit:
        total_row(_("Kreditert (%(currency)s)") % {"currency": invoice.currency}, _kr(totals.gross), bold=True)
        doc.ln(8)
        doc.set_font("Helvetica", size=9)
        doc.multi_cell(0, 5, _latin1(
            _("Denne kreditnotaen krediterer faktura %(number)s av %(date)s i sin helhet. Ingenting skal betales.")
            % {"number": credit.number, "date": _date(credit.invoice_date)}))
    else:
        total_row(_("Å betale (%(currency)s)") % {"currency": invoice.currency}, _kr(totals.gross), bold=True)
        doc.ln(8)
        doc.set_font("Helvetica", "B", 10)
        doc.cell(0, 6, _latin1(_("Betalingsinformasjon")), new_x="LMARGIN", new_y="NEXT")
        doc.set_font("Helvetica", size=9)
        doc.multi_cell(0, 5, _latin1(
            _("Betal %(amount)s %(currency)s innen %(due)s og merk betalingen med KID %(kid)s.") % {
                "amount": _kr(totals.gross), "currency": invoice.currency, "due": _date(invoice.due_date),
                "kid": invoice.kid,
            }
        ))
    if invoice.comment:
        doc.ln(2)
        doc.multi_cell(0, 5, _latin1(invoice.comment))
    return bytes(doc.output())
