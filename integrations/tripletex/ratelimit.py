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


def take(
    remaining: int | None, reset_at: float | None, *, now: float, headroom: int
) -> tuple[float, int | None, float | None]:
    """One reservation against a window's state: (seconds to wait, or 0 when taken; remaining; reset_at).

    A window whose reset has passed is forgotten; a window with an unknown reset never makes anyone wait.
    """
    if reset_at is not None and reset_at <= now:
        remaining = reset_at = None
    if remaining is not None and reset_at is not None and remaining <= headroom:
        return reset_at - now, remaining, reset_at
    return 0.0, remaining - 1 if remaining is not None else None, reset_at


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
            wait, self._remaining, self._reset_at = take(
                self._remaining, self._reset_at, now=self._clock(), headroom=self.headroom
            )
            return wait

    def window_passed(self) -> None:
        with self._lock:
            self._remaining = None
            self._reset_at = None
