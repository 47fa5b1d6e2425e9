"""Money on Norwegian invoices: line amounts rounded to øre, VAT per rate on the sum of that rate's lines.

Amounts are `Decimal` all the way; nothing here ever sees a float.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

ORE = Decimal("0.01")


class VatCode(models.TextChoices):
    """Outgoing VAT codes, numbered as Tripletex (and SAF-T) number them."""

    HIGH = "3", _("25 % (høy sats)")
    MEDIUM = "31", _("15 % (middels sats, næringsmidler)")
    LOW = "33", _("12 % (lav sats, transport, overnatting)")
    EXEMPT = "5", _("0 % (fritatt, innenfor mva-loven)")


VAT_RATES: dict[str, Decimal] = {
    VatCode.HIGH: Decimal("25"), VatCode.MEDIUM: Decimal("15"), VatCode.LOW: Decimal("12"),
    VatCode.EXEMPT: Decimal("0"),
}


def to_ore(amount: Decimal) -> Decimal:
    """Rounded to øre, half away from zero, as invoices and Tripletex round."""
    return Decimal(amount).quantize(ORE, rounding=ROUND_HALF_UP)


def line_amount(*, unit_price: Decimal, quantity: Decimal) -> Decimal:
    """A line's amount excluding VAT, rounded to øre once, so the lines add up to what is printed."""
    return to_ore(Decimal(unit_price) * Decimal(quantity))


@dataclass(frozen=True)
class VatGroup:
    code: str
    rate: Decimal
    base: Decimal
    vat: Decimal

    @property
    def gross(self) -> Decimal:
        return self.base + self.vat


@dataclass(frozen=True)
class Totals:
    groups: list[VatGroup] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return sum((g.base for g in self.groups), Decimal("0.00"))

    @property
    def vat(self) -> Decimal:
        return sum((g.vat for g in self.groups), Decimal("0.00"))

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


def invoice_totals(lines: Iterable[tuple[str, Decimal]]) -> Totals:
    """(VAT code, line amount excl. VAT) pairs → VAT per rate, computed on each rate's base and rounded once.

    Rounding VAT per line instead would let a long invoice drift by several øre from its VAT base.
    """
    bases: dict[str, Decimal] = {}
    for code, amount in lines:
        if code not in VAT_RATES:
            raise ValueError(f"unknown VAT code {code!r}")
        bases[code] = bases.get(code, Decimal("0.00")) + Decimal(amount)
    order = list(VAT_RATES)
    groups = [
        VatGroup(code=code, rate=VAT_RATES[code], base=to_ore(base), vat=to_ore(base * VAT_RATES[code] / 100))
        for code, base in sorted(bases.items(), key=lambda item: order.index(item[0]))
    ]
    return Totals(groups=groups)
