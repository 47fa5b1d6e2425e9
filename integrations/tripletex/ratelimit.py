"""Client-side pacing from Tripletex's `X-Rate-Limit-*` headers.

The quota is shared with the company's own users and other integrations on the same employee token, so
we stop a few calls short of zero (the headroom) and wait for the window to reset instead of draining it.

The client asks a `Limiter` before every request and shows it every response. `RateLimiter` keeps the
count in this process; the Django side passes one shared by every worker of a company instead
(`integrations.ratebudget`). Either way a count can be off by the calls in flight (a response may report a
quota from before calls made since), so the headroom must exceed the calls one company has in flight at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol


class Limiter(Protocol):
    def reserve(self) -> float:
        """Take one call from the budget and return 0, or take nothing and return the seconds to wait
        before asking again (the budget is down to the headroom until the window resets)."""

    def observe(self, headers: Mapping[str, str]) -> None:
        """Take the quota a response reports as the truth from now on."""

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
    """What a response says about the window, or None when it does not say how many calls are left."""
    remaining = _header_number(headers, "X-Rate-Limit-Remaining")
    if remaining is None:
        return None
    limit = _header_number(headers, "X-Rate-Limit-Limit")
    return Quota(int(remaining), reset_after(headers), int(limit) if limit is not None else None)


class RateLimiter:
    """The budget of one client in one process: enough where nothing else calls for the same company."""

    def __init__(self, *, headroom: int, clock: Callable[[], float]) -> None:
        self.headroom = headroom
        self._clock = clock
        self._lock = threading.Lock()
        self._remaining: int | None = None
        self._reset_at: float | None = None

    def observe(self, headers: Mapping[str, str]) -> None:
        seen = quota(headers)
        if seen is None:
            return
        with self._lock:
            self._remaining = seen.remaining
            self._reset_at = self._clock() + seen.reset_after if seen.reset_after is not None else None

    def reserve(self) -> float:
        # Checking and counting under one lock, so that parallel threads cannot all take the last call.
        with self._lock:
            if self._reset_at is not None and self._reset_at <= self._clock():
                self._remaining = self._reset_at = None
            if self._remaining is not None and self._reset_at is not None and self._remaining <= self.headroom:
                return self._reset_at - self._clock()
            if self._remaining is not None:
                self._remaining -= 1
            return 0.0

    def window_passed(self) -> None:
        with self._lock:
            self._remaining = None
            self._reset_at = None
