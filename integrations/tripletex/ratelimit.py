"""Client-side pacing from Tripletex's `X-Rate-Limit-*` headers.

The quota is shared with the company's own users and other integrations on the same employee token, so
we stop a few calls short of zero (the headroom) and wait for the window to reset instead of draining it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping


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


class RateLimiter:
    def __init__(self, *, headroom: int, clock: Callable[[], float]) -> None:
        self.headroom = headroom
        self._clock = clock
        self._lock = threading.Lock()
        self._remaining: float | None = None
        self._reset_at: float | None = None

    def observe(self, headers: Mapping[str, str]) -> None:
        remaining = _header_number(headers, "X-Rate-Limit-Remaining")
        reset = reset_after(headers)
        if remaining is None:
            return
        with self._lock:
            self._remaining = remaining
            self._reset_at = self._clock() + reset if reset is not None else None

    def delay(self) -> float:
        """How long to wait before the next call so that `headroom` calls stay free for others."""
        with self._lock:
            if self._remaining is None or self._remaining > self.headroom:
                return 0.0
            if self._reset_at is None:
                return 0.0
            wait = self._reset_at - self._clock()
            if wait <= 0:
                self._remaining = None
                return 0.0
            return wait

    def spent(self) -> None:
        """Count a call against the last known quota, so that parallel threads do not all see the same number."""
        with self._lock:
            if self._remaining is not None:
                self._remaining -= 1

    def window_passed(self) -> None:
        with self._lock:
            self._remaining = None
            self._reset_at = None
