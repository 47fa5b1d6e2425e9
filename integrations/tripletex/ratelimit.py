"""Client-side pacing from Tripletex's `X-Rate-Limit-*` headers.

The quota is shared with the company's own users and other integrations on the same employee token, so
we stop a few calls short of zero (the headroom) and wait for the window to reset instead of draining it.

The client asks a `Limiter` before every request and hands it every response. `RateLimiter` keeps the count
in this process; the Django side passes one that every worker of a company shares (`integrations.ratebudget`).

Each call gets a number (its ticket). Tripletex's count in an answer is older than the calls reserved
after that call, and answers come back out of order, so an answer's count is lowered by the calls reserved
after it, and an answer older than one already taken in is ignored. An answer that leaves at least as many
calls as we had counted changes nothing either (our count already includes the calls in flight), which
spares the shared budgets a write for most calls. What is left unseen is a call sent earlier that Tripletex
counts later: the headroom must exceed the calls one company has in flight at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Reservation:
    wait: float  # 0: the call is taken; else nothing was taken, ask again after this many seconds
    ticket: int = 0  # the call's number
    left: int | None = None  # the calls we counted left after this one, when the window was known


class Limiter(Protocol):
    def reserve(self) -> Reservation:
        """Take one call from the budget, or say how long it is spent down to the headroom."""

    def observe(self, headers: Mapping[str, str], reservation: Reservation) -> None:
        """Take in the quota reported by the answer to the call `reservation` took."""

    def window_passed(self) -> None:
        """Called after waiting as long as `reserve` or a 429 said: the old window is over."""


def _header_number(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


def reset_after(headers: Mapping[str, str]) -> float | None:
    """Seconds until the window resets, or None when Tripletex left the header out (it happens on 429s)."""
    value = _header_number(headers, "X-Rate-Limit-Reset")
    return max(value, 0.0) if value is not None else None


@dataclass(frozen=True)
class Quota:
    remaining: int
    reset_after: float | None
    limit: int | None


def quota(headers: Mapping[str, str]) -> Quota | None:
    """What an answer says about the window, or None when it does not say how many calls are left."""
    remaining = _header_number(headers, "X-Rate-Limit-Remaining")
    if remaining is None:
        return None
    limit = _header_number(headers, "X-Rate-Limit-Limit")
    return Quota(int(remaining), reset_after(headers), int(limit) if limit is not None else None)


def tells_more(seen: Quota, reservation: Reservation) -> bool:
    """Whether an answer can change the count: it starts one, or it leaves fewer calls than we counted."""
    return reservation.left is None or seen.remaining < reservation.left


@dataclass
class Window:
    """What is known of the current window. Stored as is by the shared budgets."""

    remaining: int | None = None
    reset_at: float | None = None
    calls: int = 0  # calls reserved so far; the last one's ticket
    observed: int = 0  # the newest call whose answer was taken in

    def take(self, *, now: float, headroom: int) -> Reservation:
        """A window whose reset has passed is forgotten; one with an unknown reset never makes anyone wait."""
        if self.reset_at is not None and self.reset_at <= now:
            self.remaining = self.reset_at = None
        if self.remaining is not None and self.reset_at is not None and self.remaining <= headroom:
            return Reservation(wait=self.reset_at - now)
        if self.remaining is not None:
            self.remaining -= 1
        self.calls += 1
        left = self.remaining if self.reset_at is not None else None
        return Reservation(wait=0.0, ticket=self.calls, left=left)

    def see(self, seen: Quota, *, reservation: Reservation, now: float) -> None:
        if not tells_more(seen, reservation) or reservation.ticket <= self.observed:
            return
        self.observed = reservation.ticket
        self.remaining = seen.remaining - (self.calls - reservation.ticket)
        self.reset_at = now + seen.reset_after if seen.reset_after is not None else None


class RateLimiter:
    """The budget of one client in one process: enough where nothing else calls for the same company."""

    def __init__(self, *, headroom: int, clock: Callable[[], float]) -> None:
        self.headroom = headroom
        self._clock = clock
        self._lock = threading.Lock()
        self._window = Window()

    def reserve(self) -> Reservation:
        # Checking and counting under one lock, so that parallel threads cannot all take the last call.
        with self._lock:
            return self._window.take(now=self._clock(), headroom=self.headroom)

    def observe(self, headers: Mapping[str, str], reservation: Reservation) -> None:
        seen = quota(headers)
        if seen is None:
            return
        with self._lock:
            self._window.see(seen, reservation=reservation, now=self._clock())

    def window_passed(self) -> None:
        with self._lock:
            self._window.remaining = self._window.reset_at = None
