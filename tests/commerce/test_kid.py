"""KID numbers: MOD10 and MOD11 check digits, and a KID made from an invoice number."""
import pytest

from commerce import kid


@pytest.mark.parametrize("value", ["1234567897", "0000000018", "00000000026"])
def test_mod10_kid_with_right_check_digit_is_valid(value):
    assert kid.is_valid_mod10(value) and kid.is_valid_kid(value)


def test_mod10_check_digit_matches_the_luhn_reference():
    # 7992739871 + 3 is the textbook Luhn example.
    assert kid.mod10_check_digit("7992739871") == "3"


@pytest.mark.parametrize("value", ["12345678904", "0000000019", "1234567-"])
def test_kid_with_wrong_check_digit_is_refused(value):
    assert not kid.is_valid_mod10(value)


def test_mod11_check_digit_weights_two_to_seven_from_the_right():
    # 1234567890: weights from the right 2,3,4,5,6,7,2,3,4,5 → 0·2+9·3+8·4+7·5+6·6+5·7+4·2+3·3+2·4+1·5 = 195;
    # 195 % 11 = 8 → check 3.
    assert kid.mod11_check_digit("1234567890") == "3"
    assert kid.is_valid_mod11("12345678903") and kid.is_valid_kid("12345678903")


def test_mod11_check_value_ten_is_written_as_a_dash():
    digits = next(f"{n:06d}" for n in range(1000, 100000) if kid.mod11_check_digit(f"{n:06d}") == "-")
    assert kid.is_valid_mod11(digits + "-")
    assert not kid.is_valid_mod10(digits + "-")


def test_mod11_remainder_zero_gives_check_digit_zero():
    digits = next(f"{n:06d}" for n in range(1, 100000) if sum(
        int(c) * (2 + i % 6) for i, c in enumerate(reversed(f"{n:06d}"))) % 11 == 0)
    assert kid.mod11_check_digit(digits) == "0"


@pytest.mark.parametrize("value", ["", "5", "12a45", "1" * 26, "12 34"])
def test_kid_that_is_too_short_too_long_or_not_digits_is_refused(value):
    assert not kid.is_valid_kid(value)


def test_kid_from_invoice_number_is_padded_and_ends_in_a_mod10_check_digit():
    value = kid.kid_for_invoice(42)
    assert value == "000000042" + kid.mod10_check_digit("000000042")
    assert len(value) == 10 and kid.is_valid_mod10(value)
    assert kid.kid_for_invoice(123456789012, length=15).startswith("00123456789012")


def test_kids_of_different_invoices_differ():
    assert len({kid.kid_for_invoice(n) for n in range(1, 2001)}) == 2000


def test_typed_kid_loses_its_spaces_and_dots():
    assert kid.normalise(" 0000 0000.42 ") == "000000004" + "2"
