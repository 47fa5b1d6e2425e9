"""VAT and rounding as Norwegian invoices do them."""
from decimal import Decimal

import pytest

from commerce.money import invoice_totals, line_amount, to_ore


def test_line_amount_is_rounded_to_ore_half_away_from_zero():
    assert line_amount(unit_price=Decimal("189.90"), quantity=Decimal("0.125")) == Decimal("23.74")  # 23.7375
    assert line_amount(unit_price=Decimal("0.05"), quantity=Decimal("0.5")) == Decimal("0.03")  # 0.025 → 0.03
    assert line_amount(unit_price=Decimal("-10.005"), quantity=Decimal("1")) == Decimal("-10.01")


def test_vat_is_computed_per_rate_on_the_sum_of_that_rates_lines():
    # Three lines of 0.10 at 25 %: per line VAT would be 0.03 × 3 = 0.09; on the sum it is 0.075 → 0.08.
    totals = invoice_totals([("3", Decimal("0.10"))] * 3)
    assert totals.vat == Decimal("0.08")


def test_every_norwegian_rate_25_15_12_and_0_is_applied_to_its_own_base():
    totals = invoice_totals([("3", Decimal("1000.00")), ("31", Decimal("200.00")), ("33", Decimal("100.00")),
                             ("5", Decimal("50.00")), ("3", Decimal("10.00"))])
    assert [(g.code, g.base, g.vat) for g in totals.groups] == [
        ("3", Decimal("1010.00"), Decimal("252.50")), ("31", Decimal("200.00"), Decimal("30.00")),
        ("33", Decimal("100.00"), Decimal("12.00")), ("5", Decimal("50.00"), Decimal("0.00")),
    ]
    assert (totals.net, totals.vat, totals.gross) == (Decimal("1360.00"), Decimal("294.50"), Decimal("1654.50"))


def test_totals_are_decimal_never_float():
    totals = invoice_totals([("3", Decimal("33.33"))])
    assert all(isinstance(v, Decimal) for v in (totals.net, totals.vat, totals.gross))
    assert totals.gross == Decimal("41.66")  # 33.33 + 8.3325 → 8.33


def test_unknown_vat_code_is_refused():
    with pytest.raises(ValueError):
        invoice_totals([("99", Decimal("1"))])


def test_to_ore_keeps_two_decimals():
    assert str(to_ore(Decimal("5"))) == "5.00"
