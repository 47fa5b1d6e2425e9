"""Faults injected on demand: latency, a share of 5xx, 429 bursts, hangs, commit-then-drop.

Each rule may be scoped to a company and/or a path prefix (after ``/v2``). Counts
("the next N requests") are consumed atomically, so concurrent clients see exactly N.
A share of errors is spread deterministically (every 1/rate-th request) so tests
can rely on the exact number.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass, field


@dataclass
class Rule:
    id: int
    company_id: int | None = None
    path_prefix: str | None = None
    latency_ms: float = 0
    error_rate: float = 0
    error_status: int = 500
    burst_429: int = 0
    reset_seconds: int = 5
    hang: int = 0
    hang_seconds: float = 0
    drop_after_commit: int = 0
    _seen: int = field(default=0, repr=False)
    _errors: int = field(default=0, repr=False)

    def applies(self, company_id: int | None, path: str) -> bool:
        return (self.company_id is None or self.company_id == company_id) and (
            not self.path_prefix or path.startswith(self.path_prefix))

    def public(self) -> dict:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}


@dataclass
class Decision:
    latency_ms: float = 0
    error_status: int | None = None
    burst_reset: int | None = None
    hang_seconds: float = 0
    drop: bool = False


FIELDS = {"company_id", "path_prefix", "latency_ms", "error_rate", "error_status", "burst_429", "reset_seconds",
          "hang", "hang_seconds", "drop_after_commit"}


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.rules: list[Rule] = []

    def add(self, spec: dict) -> Rule:
        unknown = set(spec) - FIELDS
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}; known: {sorted(FIELDS)}")
        with self._lock:
            rule = Rule(id=next(self._ids), **spec)
            self.rules.append(rule)
            return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def active(self) -> bool:
        return bool(self.rules)

    def decide(self, company_id: int | None, path: str, is_write: bool) -> Decision:
        d = Decision()
        with self._lock:
            for r in self.rules:
                if not r.applies(company_id, path):
                    continue
                d.latency_ms += r.latency_ms
                if r.burst_429 > 0 and d.burst_reset is None:
                    r.burst_429 -= 1
                    d.burst_reset = r.reset_seconds
                    continue
                if r.hang > 0 and not d.hang_seconds:
                    r.hang -= 1
                    d.hang_seconds = r.hang_seconds
                if r.error_rate > 0 and d.error_status is None:
                    r._seen += 1
                    if int(r._seen * r.error_rate + 1e-9) > r._errors:
                        r._errors += 1
                        d.error_status = r.error_status
                if is_write and r.drop_after_commit > 0 and not d.drop:
                    r.drop_after_commit -= 1
                    d.drop = True
        return d
