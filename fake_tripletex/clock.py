"""The fake's notion of "now", which tests may shift to exercise session expiry."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


class Clock:
    def __init__(self):
        self._lock = threading.Lock()
        self._offset = timedelta()
        self._fixed: datetime | None = None

    def now(self) -> datetime:
        with self._lock:
            base = self._fixed or datetime.now(timezone.utc)
            return base + self._offset

    def oslo_today(self) -> date:
        return self.now().astimezone(OSLO).date()

    def set(self, *, now: datetime | None = None, offset_seconds: float | None = None) -> None:
        with self._lock:
            if now is not None:
                self._fixed = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
            if offset_seconds is not None:
                self._offset = timedelta(seconds=offset_seconds)

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta()
            self._fixed = None
