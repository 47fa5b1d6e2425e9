"""In-memory state: companies and their objects, tokens, sessions and locked periods.

One re-entrant lock guards everything; requests are short, so coarse locking is
both correct and fast enough. Stored objects keep the API's field names; a
reference to another object is stored as ``{"id": n}`` and expanded on render.
Keys starting with ``_`` are internal (e.g. ``_changed``) and never rendered.
"""
from __future__ import annotations

import itertools
import secrets
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from . import errors
from .clock import Clock
from .kinds import BY_SCHEMA, KINDS
from .spec import REF, REFLIST, Spec


@dataclass(frozen=True)
class Denial:
    """A right the token's employee lacks: calls under `path` (a prefix) with one of `methods` get 403."""

    path: str
    methods: frozenset

    def covers(self, method: str, path: str) -> bool:
        return method in self.methods and (path == self.path or path.startswith(self.path + "/"))


@dataclass
class EmployeeToken:
    id: int
    token: str
    company_id: int
    employee_id: int
    application: str
    revoked: bool = False
    denied: list[Denial] = field(default_factory=list)

    def lacks_right(self, method: str, path: str) -> bool:
        return any(d.covers(method, path) for d in self.denied)


@dataclass
class Session:
    token: str
    company_id: int
    employee_id: int
    consumer_token: str
    employee_token: str
    expiration_date: date
    id: int = 0


@dataclass
class LockedPeriod:
    date_from: date
    date_to: date  # inclusive
    employee_id: int | None = None
    # Who approved the period in Tripletex and when (the month status's approvedBy and approvedDate).
    approved_by: int | None = None
    approved_date: date | None = None

    def covers(self, day: date, employee_id: int | None) -> bool:
        return self.date_from <= day <= self.date_to and (
            self.employee_id is None or self.employee_id == employee_id)


@dataclass
class Company:
    id: int
    name: str
    objects: dict[str, dict[int, dict]] = field(default_factory=lambda: defaultdict(dict))
    locks: list[LockedPeriod] = field(default_factory=list)
    # (employee, date, activity, project) -> entry id: Tripletex's uniqueness rule, kept O(1).
    timesheet_keys: dict[tuple, int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    default_department: int = 0
    admin_employee: int = 0

    def get(self, kind: str, obj_id: int) -> dict | None:
        return self.objects[kind].get(obj_id)

    def is_locked(self, day: date, employee_id: int | None) -> bool:
        return any(p.covers(day, employee_id) for p in self.locks)

    def next_number(self, counter: str) -> int:
        self.counters[counter] += 1
        return self.counters[counter]


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Store:
    def __init__(self, spec: Spec, clock: Clock):
        self.spec = spec
        self.clock = clock
        self.lock = threading.RLock()
        self.on_change = None  # callable(company, kind, verb, obj), set by the webhook dispatcher
        self.clear()

    def clear(self) -> None:
        with self.lock:
            self._ids = itertools.count(1)
            self.companies: dict[int, Company] = {}
            self.consumer_tokens: dict[str, str] = {}  # token -> application name
            self.employee_tokens: dict[str, EmployeeToken] = {}
            self.sessions: dict[str, Session] = {}

    def new_id(self) -> int:
        return next(self._ids)

    # --- applications and tokens -------------------------------------------------------
    def consumer_token_for(self, application: str) -> str:
        with self.lock:
            for tok, app in self.consumer_tokens.items():
                if app == application:
                    return tok
            tok = new_token()
            self.consumer_tokens[tok] = application
            return tok

    def make_employee_token(self, company: Company, application: str, employee_id: int | None = None) -> EmployeeToken:
        with self.lock:
            tok = EmployeeToken(self.new_id(), new_token(), company.id, employee_id or company.admin_employee,
                                application)
            self.employee_tokens[tok.token] = tok
            return tok

    def revoke_employee_token(self, token: str) -> bool:
        with self.lock:
            tok = self.employee_tokens.get(token)
            if not tok:
                return False
            tok.revoked = True
            for key in [k for k, s in self.sessions.items() if s.employee_token == token]:
                del self.sessions[key]
            return True

    # --- objects -----------------------------------------------------------------------
    def company(self, company_id: int) -> Company:
        c = self.companies.get(company_id)
        if c is None:
            raise errors.not_found("Company")
        return c

    def normalize(self, company: Company, schema: str, body: dict) -> dict:
        """Turn a request body into stored form: drop read-only fields, keep refs as {"id"}."""
        props = self.spec.props(schema)
        out: dict = {}
        for name, value in body.items():
            info = props.get(name)
            if info is None or info[2] or name in ("id", "version", "url", "changes") or value is None:
                continue
            typ, target = info[0], info[1]
            if typ == REF and isinstance(value, dict):
                out[name] = self._norm_ref(company, target, value)
            elif typ == REFLIST and isinstance(value, list):
                out[name] = [self._norm_ref(company, target, v) for v in value if isinstance(v, dict)]
            else:
                out[name] = value
        return out

    def _norm_ref(self, company: Company, target: str, value: dict) -> dict:
        kind = BY_SCHEMA.get(target)
        if kind is not None and "id" in value:
            return {"id": int(value["id"])}
        if kind is not None and kind.name in company.objects and not value:
            return {}
        # Objects Tripletex keeps inside their owner (addresses etc.) get their own id.
        inline = self.normalize(company, target, value)
        inline["id"] = int(value.get("id") or self.new_id())
        inline.setdefault("version", 0)
        return inline

    def insert(self, company: Company, kind: str, obj: dict, *, fire: bool = True) -> dict:
        obj["id"] = self.new_id()
        obj["version"] = 0
        obj["_changed"] = self.clock.now()
        company.objects[kind][obj["id"]] = obj
        if fire:
            self._fire(company, kind, "create", obj)
        return obj

    def check_version(self, kind: str, obj: dict, version) -> None:
        if version is not None and int(version) != obj["version"]:
            raise errors.revision_conflict(kind, obj["id"])

    def update(self, company: Company, kind: str, obj: dict, changes: dict, *, fire: bool = True) -> dict:
        obj.update(changes)
        obj["version"] += 1
        obj["_changed"] = self.clock.now()
        if fire:
            self._fire(company, kind, "update", obj)
        return obj

    def delete(self, company: Company, kind: str, obj: dict, *, fire: bool = True) -> None:
        company.objects[kind].pop(obj["id"], None)
        if fire:
            self._fire(company, kind, "delete", obj)

    def _fire(self, company: Company, kind: str, verb: str, obj: dict) -> None:
        if self.on_change is not None and KINDS[kind].event:
            self.on_change(company, kind, verb, obj)

    def changed_at(self, obj: dict) -> datetime:
        return obj["_changed"]
