"""Norwegian organisation numbers: nine digits, the last a mod-11 check digit."""
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def is_valid_org_number(value: str) -> bool:
    # ASCII digits only: '²' passes isdigit() but is no digit int() reads, and Arabic-Indic digits would
    # store a second spelling of a number that is taken, past the uniqueness check.
    if len(value) != 9 or not (value.isascii() and value.isdigit()):
        return False
    remainder = sum(int(d) * w for d, w in zip(value[:8], _WEIGHTS)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    # A remainder of 1 gives check digit 10, which no valid number can have.
    return check != 10 and check == int(value[8])


def validate_org_number(value: str) -> None:
    if not is_valid_org_number(value):
        raise ValidationError(
            _("Organisasjonsnummeret må ha 9 siffer og gyldig kontrollsiffer."), code="invalid_org_number"
        )
