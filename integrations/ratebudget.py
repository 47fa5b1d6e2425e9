"""One Tripletex rate budget per Tripletex company, shared by the hours push, every connector and every worker.

Tripletex counts every call on a company's token against one limit per window. Workers that each paced
only themselves would together run past it, and a budget per company (not one for all) keeps one
company's backlog from slowing another's. So the count lives where every worker sees it: in Redis when
`RATE_BUDGET_URL` names one, else in a `RateBudget` row. Both follow the client's own rules
(`integrations.tripletex.ratelimit.Window`), but check and count a call in one atomic step, and both count
calls per minute for "API-kall siste time".

Tripletex calls must not be made inside a database transaction: the row's lock would be held until it ends.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection as db
from django.db import transaction
from django.db.models import ExpressionWrapper, F, IntegerField, Value

from .models import Connection, RateBudget
from .tripletex.ratelimit import Reservation, Window, quota, tells_more

HOUR_MINUTES = 60


@dataclass(frozen=True)
class BudgetStatus:
    calls_last_hour: int
    limit: int | None
    remaining: int | None
    resets_at: dt.datetime | None


def budget_key_for_company(company_id: int) -> str:
    return f"company:{company_id}"


def budget_key_for_connection(connection: Connection) -> str:
    if connection.tripletex_company_id:
        return budget_key_for_company(connection.tripletex_company_id)
    # Before the first "who am I" the company is unknown; the key must still say nothing about the token.
    return "connection:" + hashlib.sha256(str(connection.pk).encode()).hexdigest()[:16]


def budget_for_company(company_id: int) -> Budget:
    return _budget(budget_key_for_company(company_id))


def budget_for_connection(connection: Connection) -> Budget:
    return _budget(budget_key_for_connection(connection))


def _budget(key: str) -> Budget:
    url, headroom = settings.RATE_BUDGET_URL, settings.TRIPLETEX_RATE_LIMIT_HEADROOM
    if url == "database":
        return DatabaseBudget(key, headroom=headroom)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBudget(_redis(url), key, headroom=headroom)
    raise ImproperlyConfigured("RATE_BUDGET_URL must be a redis:// URL or 'database'")


def _minute(now: float) -> int:
    return int(now // 60)


def _moment(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)


class DatabaseBudget:
    """The budget in a `RateBudget` row: one short UPDATE per call, and one for the answers that change the
    count; the row lock only once a minute (to start counting a new minute) and while the budget is spent."""

    def __init__(self, key: str, *, headroom: int, clock: Callable[[], float] = time.time) -> None:
        self.key = key
        self.headroom = headroom
        self._clock = clock

    def reserve(self) -> Reservation:
        now = self._clock()
        minute = _minute(now)
        with db.cursor() as cursor:
            cursor.execute(_reserve_sql(), [now, now, self.key, minute, self.headroom, now])
            taken = cursor.fetchall()
        if taken:
            ticket, remaining, reset_at = taken[0]
            return Reservation(wait=0.0, ticket=ticket, left=remaining if reset_at is not None else None)
        return self._reserve_locked(now, minute)

    def _reserve_locked(self, now: float, minute: int) -> Reservation:
        with transaction.atomic():
            row, _created = RateBudget.objects.select_for_update().get_or_create(
                key=self.key, defaults={"minute": minute}
            )
            if row.minute != minute:
                kept = {m: n for m, n in row.earlier_minutes.items() if int(m) > minute - HOUR_MINUTES}
                if row.minute_calls:
                    kept[str(row.minute)] = row.minute_calls
                row.earlier_minutes, row.minute, row.minute_calls = kept, minute, 0
            window = Window(remaining=row.remaining, reset_at=row.reset_at, calls=row.calls)
            reservation = window.take(now=now, headroom=self.headroom)
            row.remaining, row.reset_at, row.calls = window.remaining, window.reset_at, window.calls
            if reservation.wait <= 0:
                row.minute_calls += 1
            row.save()
        return reservation

    def observe(self, headers: Mapping[str, str], reservation: Reservation) -> None:
        seen = quota(headers)
        if seen is None or not tells_more(seen, reservation):
            return
        # `Window.see`: lowered by the calls reserved since this one; an older answer than one taken in
        # already changes nothing.
        ticket = reservation.ticket
        fields = {
            "observed": ticket,
            "remaining": ExpressionWrapper(Value(seen.remaining + ticket) - F("calls"), output_field=IntegerField()),
            "reset_at": self._clock() + seen.reset_after if seen.reset_after is not None else None,
        }
        if seen.limit is not None:
            fields["limit"] = seen.limit
        RateBudget.objects.filter(key=self.key, observed__lt=ticket).update(**fields)

    def window_passed(self) -> None:
        """Nothing to forget: the stored reset time tells every worker when the window is over."""

    def status(self) -> BudgetStatus:
        now = self._clock()
        row = RateBudget.objects.filter(key=self.key).first()
        if row is None:
            return BudgetStatus(calls_last_hour=0, limit=None, remaining=None, resets_at=None)
        since = _minute(now) - HOUR_MINUTES
        calls = sum(n for m, n in row.earlier_minutes.items() if int(m) > since)
        if row.minute > since:
            calls += row.minute_calls
        return _status(calls, row.limit, row.remaining, row.reset_at, now)


@functools.cache
def _reserve_sql() -> str:
    """`Window.take` as one statement, for a budget that is not spent in the minute it already counts: the
    database checks and counts at once, so no two workers both take the last call (PostgreSQL re-checks
    the WHERE against the row a concurrent UPDATE left; SQLite has one writer at a time)."""
    q = db.ops.quote_name
    table = q(RateBudget._meta.db_table)
    key, remaining, reset_at, calls, minute, minute_calls = (
        q(RateBudget._meta.get_field(name).column)
        for name in ("key", "remaining", "reset_at", "calls", "minute", "minute_calls")
    )
    return (
        f"UPDATE {table} SET "
        f"{remaining} = CASE WHEN {reset_at} <= %s THEN NULL ELSE {remaining} - 1 END, "
        f"{reset_at} = CASE WHEN {reset_at} <= %s THEN NULL ELSE {reset_at} END, "
        f"{calls} = {calls} + 1, {minute_calls} = {minute_calls} + 1 "
        f"WHERE {key} = %s AND {minute} = %s "
        f"AND ({remaining} IS NULL OR {reset_at} IS NULL OR {remaining} > %s OR {reset_at} <= %s) "
        f"RETURNING {calls}, {remaining}, {reset_at}"
    )


def _status(calls: int, limit: int | None, remaining: int | None, reset_at: float | None, now: float) -> BudgetStatus:
    if reset_at is None or reset_at <= now:
        # The window is over (or Tripletex never said when it ends): the next one starts full.
        return BudgetStatus(calls_last_hour=calls, limit=limit, remaining=limit, resets_at=None)
    remaining = max(remaining, 0) if remaining is not None else limit
    return BudgetStatus(calls_last_hour=calls, limit=limit, remaining=remaining, resets_at=_moment(reset_at))


# `Window.take` and `Window.see` again, for Redis. Redis runs a script without interleaving any other
# command, and its clock is the one every worker shares. Numbers go back as strings (a Lua number would
# come back cut to an integer).
_NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
"""

# KEYS: the budget hash, this minute's call counter. ARGV: the headroom. Returns {wait, ticket, left or ''}.
_RESERVE = _NOW + """
local remaining = tonumber(redis.call('HGET', KEYS[1], 'remaining'))
local reset_at = tonumber(redis.call('HGET', KEYS[1], 'reset_at'))
if reset_at and reset_at <= now then
  redis.call('HDEL', KEYS[1], 'remaining', 'reset_at')
  remaining, reset_at = nil, nil
end
if remaining and reset_at and remaining <= tonumber(ARGV[1]) then
  return {string.format('%.6f', reset_at - now), '0', ''}
end
local left = ''
if remaining then
  redis.call('HSET', KEYS[1], 'remaining', remaining - 1)
  if reset_at then
    left = tostring(remaining - 1)
  end
end
local ticket = redis.call('HINCRBY', KEYS[1], 'calls', 1)
redis.call('EXPIRE', KEYS[1], 86400)
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], 3720)
return {'0', tostring(ticket), left}
"""

# KEYS: the budget hash. ARGV: ticket, remaining, seconds until the reset ('' if not given), limit ('' if not).
_OBSERVE = _NOW + """
local ticket = tonumber(ARGV[1])
local calls = tonumber(redis.call('HGET', KEYS[1], 'calls')) or 0
local observed = tonumber(redis.call('HGET', KEYS[1], 'observed')) or 0
if ticket <= observed or ticket > calls then
  return
end
redis.call('HSET', KEYS[1], 'observed', ticket, 'remaining', tonumber(ARGV[2]) - (calls - ticket))
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], 'reset_at')
else
  redis.call('HSET', KEYS[1], 'reset_at', string.format('%.6f', now + tonumber(ARGV[3])))
end
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'limit', ARGV[4])
end
"""

KEY_PREFIX = "grjobb:ratebudget:"

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def _redis(url: str) -> redis.Redis:
    # One connection pool per process and URL; redis-py makes a fresh one in a forked worker by itself.
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        return client


class RedisBudget:
    """The budget in Redis: one script run per call, and one for the answers that change the count."""

    def __init__(self, client: redis.Redis, key: str, *, headroom: int) -> None:
        self.key = KEY_PREFIX + key
        self.headroom = headroom
        self._redis = client
        self._reserve = client.register_script(_RESERVE)
        self._observe = client.register_script(_OBSERVE)

    def _minute_key(self, minute: int) -> str:
        return f"{self.key}:calls:{minute}"

    def reserve(self) -> Reservation:
        wait, ticket, left = self._reserve(
            keys=[self.key, self._minute_key(_minute(time.time()))], args=[self.headroom]
        )
        return Reservation(wait=float(wait), ticket=int(ticket), left=int(left) if left else None)

    def observe(self, headers: Mapping[str, str], reservation: Reservation) -> None:
        seen = quota(headers)
        if seen is None or not tells_more(seen, reservation):
            return
        reset = "" if seen.reset_after is None else repr(seen.reset_after)
        limit = "" if seen.limit is None else str(seen.limit)
        self._observe(keys=[self.key], args=[reservation.ticket, seen.remaining, reset, limit])

    def window_passed(self) -> None:
        """Nothing to forget: the stored reset time tells every worker when the window is over."""

    def status(self) -> BudgetStatus:
        seconds, micros = self._redis.time()
        now = seconds + micros / 1_000_000
        minute = _minute(now)
        limit, remaining, reset_at = self._redis.hmget(self.key, "limit", "remaining", "reset_at")
        counts = self._redis.mget([self._minute_key(m) for m in range(minute - HOUR_MINUTES + 1, minute + 1)])
        return _status(
            sum(int(n) for n in counts if n is not None),
            int(limit) if limit is not None else None,
            int(remaining) if remaining is not None else None,
            float(reset_at) if reset_at is not None else None,
            now,
        )


Budget = DatabaseBudget | RedisBudget
