"""When a failed call may be sent again, and how long to wait before it."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter, so many workers retrying together do not stampede."""

    attempts: int = 4
    base: float = 0.5
    cap: float = 8.0

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Delay before attempt `attempt + 1` (attempt counts from 1)."""
        return rand() * min(self.cap, self.base * (2 ** (attempt - 1)))


def body_has_versions(body: object) -> bool:
    """A PUT is safe to repeat only when every object in it carries the `version` we read: a repeat of an
    applied write then fails with 409 instead of overwriting someone else's change."""
    if isinstance(body, dict):
        return body.get("version") is not None
    if isinstance(body, list):
        return bool(body) and all(isinstance(item, dict) and item.get("version") is not None for item in body)
    return False
