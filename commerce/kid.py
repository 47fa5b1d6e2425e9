"""KID (kundeidentifikasjon), the reference a Norwegian payer types or the bank reads from OCR.

A KID is 2–25 digits whose last digit checks the others, by MOD10 (Luhn) or MOD11; under MOD11 a
check value of 10 is written "-". Banks accept either method, so a KID is valid if one of them holds.
"""
from __future__ import annotations

MIN_LENGTH, MAX_LENGTH = 2, 25


def mod10_check_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def mod11_check_digit(digits: str) -> str:
    """Weights 2, 3, …, 7 from the right, repeating; 11 - remainder, where 11 is 0 and 10 is "-"."""
    total = sum(int(ch) * (2 + i % 6) for i, ch in enumerate(reversed(digits)))
    check = 11 - total % 11
    return {11: "0", 10: "-"}.get(check, str(check))


def is_valid_mod10(kid: str) -> bool:
    return _well_formed(kid) and kid[-1] != "-" and mod10_check_digit(kid[:-1]) == kid[-1]


def is_valid_mod11(kid: str) -> bool:
    return _well_formed(kid) and mod11_check_digit(kid[:-1]) == kid[-1]


def is_valid_kid(kid: str) -> bool:
    return is_valid_mod10(kid) or is_valid_mod11(kid)


def _well_formed(kid: str) -> bool:
    return (
        MIN_LENGTH <= len(kid) <= MAX_LENGTH and kid[:-1].isascii() and kid[:-1].isdigit()
        and (kid[-1].isdigit() or kid[-1] == "-")
    )


def kid_for_invoice(invoice_number: int, *, length: int = 10) -> str:
    """The invoice number, zero-padded to `length - 1` digits, with a MOD10 check digit.

    MOD10 because it never needs the "-" that some payers' banks refuse to take.
    """
    base = str(invoice_number).zfill(length - 1)
    if invoice_number < 0 or len(base) > MAX_LENGTH - 1:
        raise ValueError(f"no KID for invoice number {invoice_number}")
    return base + mod10_check_digit(base)


def normalise(kid: str) -> str:
    """What people type: spaces and dots between groups of digits are not part of it."""
    return "".join(ch for ch in kid.strip() if ch not in " .")
