"""Database ids read from a request's fields.

Pages only ever send the ids they were rendered with, so anything else (a '²' that passes `isdigit`, an
id past the database's integer range, a 5,000-digit number Python refuses to read) is a broken or forged
request: a 400, before anything is changed.
"""
import re

from django.core.exceptions import BadRequest

# Ids are 64-bit signed integers in both SQLite and PostgreSQL.
MAX_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def _to_id(value: str, name: str) -> int:
    if not _ASCII_DIGITS.fullmatch(value) or not 0 < int(value) <= MAX_ID:
        raise BadRequest(f"{name} is not an id")
    return int(value)


def posted_ids(data, name: str) -> list[int]:
    """Every value of the list field `name` (checkboxes), each an id; a 400 if one is not."""
    return [_to_id(value, name) for value in data.getlist(name)]


def posted_id(data, name: str) -> int:
    """The single id in field `name`; a 400 if it is missing or not an id."""
    return _to_id(data.get(name, ""), name)
