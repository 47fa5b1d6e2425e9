"""Fixed-window rate limiting per (consumer token, employee token), as Tripletex counts it."""
from __future__ import annotations

import threading
import time


class RateLimiter:
    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._buckets: dict[tuple, list] = {}

    def configure(self, limit: int | None = None, window: float | None = None) -> None:
        with self._lock:
            if limit is not None:
                self.limit = int(limit)
            if window is not None:
                self.window = float(window)
            self._buckets.clear()

    def hit(self, key: tuple | None) -> tuple[bool, int, int, int]:
        """Count one request; returns (allowed, limit, remaining, seconds until reset)."""
        now = time.monotonic()
        with self._lock:
            if key is None:
                return True, self.limit, self.limit, int(self.window)
            bucket = self._buckets.get(key)
            if bucket is None or now - bucket[0] >= self.window:
                bucket = self._buckets[key] = [now, 0]
            reset = max(1, int(bucket[0] + self.window - now + 0.999))
            if bucket[1] >= self.limit:
                return False, self.limit, 0, reset
            bucket[1] += 1
            return True, self.limit, self.limit - bucket[1], reset
