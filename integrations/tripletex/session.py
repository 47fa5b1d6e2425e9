"""Tripletex session tokens: which expiration date to ask for, and when a session must be renewed.

A session token is made from the consumer token (ours) and a tenant's employee token, and lives until
midnight Norwegian time on its expiration date (observed). The client renews a little before that, and
once more when Tripletex answers 401 anyway.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


def expiration_date_for(
    now: dt.datetime, *, valid_days: int, renew_margin: dt.timedelta = dt.timedelta(0)
) -> dt.date:
    """The `expirationDate` to ask for: Oslo's calendar date, since a UTC date is a day behind late at night.

    Counted from `now + renew_margin`: a session made just before midnight must not already be inside
    its own renewal margin, or every call would make a new one.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if valid_days < 1:
        raise ValueError("valid_days must be at least 1")
    return (now + max(renew_margin, dt.timedelta(0))).astimezone(OSLO).date() + dt.timedelta(days=valid_days)


@dataclass(frozen=True)
class Credentials:
    """The two long-lived tokens; kept out of every repr so a traceback or log line cannot leak them."""

    consumer_token: str = field(repr=False)
    employee_token: str = field(repr=False)
    company_id: int = 0


@dataclass(frozen=True)
class SessionToken:
    token: str = field(repr=False)
    expiration_date: dt.date

    @property
    def expires_at(self) -> dt.datetime:
        # Treat the session as gone from the start of its expiration date (Oslo): if it in fact lasts the
        # whole day we renew a day early, which costs one call; the other way round costs failed calls.
        return dt.datetime.combine(self.expiration_date, dt.time(0, 0), tzinfo=OSLO)

    def needs_renewal(self, now: dt.datetime, *, margin: dt.timedelta) -> bool:
        return now >= self.expires_at - margin

    @classmethod
    def from_value(cls, value: dict) -> SessionToken:
        token = value.get("token")
        if not token:
            raise ValueError("session response has no token")
        raw_date = str(value.get("expirationDate") or "")[:10]
        return cls(token=token, expiration_date=dt.date.fromisoformat(raw_date))
