"""The fault scenarios of issue 15, shared by `tests/faults/` and `python -m bench.faults`.

Each scenario runs a realistic load against the fake Tripletex over HTTP with real Celery workers on
PostgreSQL and Redis: several companies approving hours (the hours push) and creating and renaming
customers (the master-data connector's outbox), while one fault strikes. It ends by comparing both sides
record by record and returns one line: `scenario`, `operations`, `delivered_once`, `duplicates`,
`missing`, `recovery_s` (seconds from the end of the fault until every record was where it belongs), plus
what the scenario proved besides.

The caller gives a `Stack`: the Django settings to tune (pytest's `settings` fixture, or django.conf's),
the fake's base URL and consumer token, the workers' database URL and broker URL, and a folder for logs.
What beat does every minute is done here every second (`Stack.settle`), except in the beat scenario, where a
real beat does it.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parent.parent

# What the workers (and the sweeps run here) are tuned to, so a fault heals in seconds instead of minutes.
TUNING = {
    "HOURS_BATCH_SIZE": 10,
    "HOURS_CLAIM_TIMEOUT": 3,
    "HOURS_RETRY_BACKOFF": 0.3,
    "HOURS_RATE_LIMIT_WAIT": 0.5,
    "CONNECTOR_CLAIM_TIMEOUT": 3,
    "CONNECTOR_RETRY_BACKOFF": 0.3,
    # A hang longer than this is a lost answer; HANG_S below is longer.
    "TRIPLETEX_READ_TIMEOUT": 2.0,
}
HANG_S = 3.0
FIRST_DAY = dt.date(2026, 11, 2)
APPLICATION = "GrønnJobb"
# Our chart of accounts mapped to the fake's: (number, name, role, VAT code, Tripletex account).
ACCOUNTS = [("1500", "Kundefordringer", "receivable", "", "1500"), ("1920", "Bank", "bank", "", "1920"),
            ("3000", "Salg høy sats", "sales", "3", "3000")]


@dataclass
class Size:
    """The load: per company and round, `entries` hours approved, `creates` customers created here,
    `renames` of customers created in an earlier round, `invoices` issued to this round's new customers
    (so the invoice connector and the two-way one both need the same new customer at once), and a payment
    registered at once for each (so a payment may go while its invoice is still on its way)."""

    companies: int = 3
    rounds: int = 3
    entries: int = 12
    creates: int = 2
    renames: int = 1
    invoices: int = 1


# --- the fake's control API ----------------------------------------------------------------------------

class Fake:
    def __init__(self, base_url: str, consumer_token: str):
        self.base_url = base_url
        self.consumer_token = consumer_token
        self.control = base_url[: -len("/v2")] + "/_fake"
        self.http = requests.Session()

    def __call__(self, method: str, path: str, **kwargs):
        r = self.http.request(method, f"{self.control}/{path}", timeout=60, **kwargs)
        if r.status_code >= 400:
            raise AssertionError(f"control API {method} /_fake/{path} -> {r.status_code}: {r.text}")
        return r.json()

    def objects(self, company_id: int, kind: str) -> list[dict]:
        return self("GET", f"companies/{company_id}/objects/{kind}")["values"]

    def change(self, company_id: int, kind: str, obj_id: int | None = None, **fields) -> dict:
        if obj_id is None:
            return self("POST", f"companies/{company_id}/objects/{kind}", json=fields)["value"]
        return self("PUT", f"companies/{company_id}/objects/{kind}/{obj_id}", json=fields)["value"]

    def faults(self, **rule) -> None:
        self("POST", "faults", json=rule)

    def clear_faults(self) -> None:
        self("DELETE", "faults")

    def calls(self, company_id: int | None = None) -> dict[str, int]:
        return self("GET", "calls", params={"company_id": company_id} if company_id else None)["calls"]


# --- processes: workers, beat, a private Redis --------------------------------------------------------

class Procs:
    """`celery worker` and `celery beat` subprocesses on the caller's database and broker, on queues of their own."""

    def __init__(self, log_dir: Path, env: dict[str, str]):
        self.log_dir = log_dir
        tag = uuid.uuid4().hex[:8]
        self.hours_queue, self.default_queue = f"faults-hours-{tag}", f"faults-{tag}"
        self.connectors_queue = f"faults-connectors-{tag}"
        self.env = {**os.environ, **env, "HOURS_QUEUE": self.hours_queue, "CONNECTORS_QUEUE": self.connectors_queue,
                    "CELERY_TASK_DEFAULT_QUEUE": self.default_queue, "LOG_LEVEL": "INFO", "LOG_FORMAT": "plain",
                    **{k: str(v) for k, v in TUNING.items()}}
        self.env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        self.procs: list[tuple[subprocess.Popen, Path]] = []
        self._n = itertools.count()

    def _spawn(self, args: list[str], name: str, ready: str) -> subprocess.Popen:
        log = self.log_dir / f"{name}{next(self._n)}.log"
        proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", *args], cwd=ROOT, env=self.env,
                                stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((proc, log))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited at start:\n{log.read_text()[-3000:]}")
            if ready in log.read_text():
                return proc
            time.sleep(0.1)
        raise RuntimeError(f"{name} not ready in 60 s:\n{log.read_text()[-3000:]}")

    def worker(self, *, concurrency: int = 1) -> subprocess.Popen:
        pool = ["--pool=solo"] if concurrency == 1 else ["--pool=prefork", f"--concurrency={concurrency}"]
        queues = f"{self.hours_queue},{self.connectors_queue},{self.default_queue}"
        return self._spawn(["worker", "-Q", queues, *pool, "-l", "INFO",
                            "-n", f"faults{len(self.procs)}-{self.default_queue}@%h", "--without-mingle",
                            "--without-gossip", "--without-heartbeat"], "worker", " ready.")

    def beat(self, schedule: Path) -> subprocess.Popen:
        return self._spawn(["beat", "-l", "INFO", "-s", str(schedule)], "beat", "beat: Starting")

    @staticmethod
    def kill(proc: subprocess.Popen, sig=signal.SIGKILL) -> None:
        os.killpg(proc.pid, sig)
        proc.wait(30)

    def stop_all(self) -> None:
        for proc, _log in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(15)
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(10)

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-tail:]}" for _p, log in self.procs)


class Redis:
    """A redis-server of the scenario's own, on its own port, so restarting it disturbs nobody else."""

    def __init__(self, port: int, log_dir: Path):
        self.port, self.log = port, log_dir / f"redis-{port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=self.log.open("a"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 10
        import redis

        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on {self.port} did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        """Down with everything in it: no snapshot, no append-only file, so every queued task is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    @staticmethod
    def free_port(first: int = 6390) -> int:
        import socket

        for port in range(first, first + 100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) != 0:
                    return port
        raise RuntimeError("no free port for a private redis-server")


def database_url() -> str:
    """The URL of the database this process uses (the test database under pytest), for the workers."""
    from django.db import connection

    db = connection.settings_dict
    if "postgresql" not in db["ENGINE"]:
        raise RuntimeError("the fault scenarios run on PostgreSQL")
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


def use_broker(url: str, default_queue: str) -> None:
    """Point this process's Celery app at `url`: the tasks our services queue on commit go where the workers are."""
    from kombu import pools

    from config.celery_app import app

    app.conf.broker_url = app.conf.broker_read_url = app.conf.broker_write_url = url
    app.conf.task_default_queue = default_queue
    # Kombu keeps one connection pool per broker URL for the process: start afresh on the new one.
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


# --- one company on both sides -------------------------------------------------------------------------

_org_numbers = itertools.count(int(time.time()) % 10_000_000 * 10)


def _org_number() -> str:
    from tenants.validators import is_valid_org_number

    while True:
        candidate = str(900_000_000 + next(_org_numbers) % 99_999_999)
        if is_valid_org_number(candidate):
            return candidate


@dataclass
class Company:
    tenant: object
    admin: object
    company_id: int
    token: str
    employees: list = field(default_factory=list)  # (ours, tripletex id)
    projects: list = field(default_factory=list)
    activities: list = field(default_factory=list)
    entries: list = field(default_factory=list)    # our TimeEntry ids approved
    customers: list = field(default_factory=list)  # our Customer ids created here
    invoices: list = field(default_factory=list)   # our Invoice ids issued
    payments: list = field(default_factory=list)   # our Payment ids
    product: object = None
    renames: Counter = field(default_factory=Counter)  # customer id -> renames made here
    next_day: int = 0


def company_connect(fake: Fake, n: int) -> Company:
    from django_scopes import scope, scopes_disabled

    from commerce import services as commerce
    from commerce.models import Product
    from hr.models import Activity, Employee, Project
    from integrations.models import Connection, ConnectorConfig, Link
    from tenants.models import Membership, Tenant, User

    tag = uuid.uuid4().hex[:6]
    name = f"Feil {n} {tag} AS"
    info = fake("POST", "companies", json={"name": name, "applications": [APPLICATION], "employees": 4,
                                           "projects": 2, "activities": 4, "wage_types": 2, "customers": 2})
    cid, token = info["id"], info["employee_tokens"][APPLICATION]
    with scopes_disabled():
        tenant = Tenant.objects.create(name=name, org_number=_org_number(), slug=f"feil-{n}-{tag}")
        admin = User.objects.create_user(f"admin-{tag}@feil.no", "pw-12345678", first_name="Admin")
        Membership.objects.create(user=admin, tenant=tenant, role=Membership.Role.ADMIN)
        Connection.objects.create(tenant=tenant, state=Connection.State.ACTIVE, employee_token=token,
                                  tripletex_company_id=cid, tripletex_company_name=name)
        ConnectorConfig.objects.create(tenant=tenant, name="master_data", enabled=True)
        ConnectorConfig.objects.create(tenant=tenant, name="invoices", enabled=True)
        c = Company(tenant=tenant, admin=admin, company_id=cid, token=token)
        with scope(tenant=tenant):
            for number, label, role, vat, theirs in ACCOUNTS:
                commerce.ledger_account_save(tenant=tenant, data={"number": number, "name": label, "role": role,
                                                                  "vat_code": vat, "tripletex_number": theirs})
            c.product = Product.objects.create(tenant=tenant, number="100", name="Timeverk",
                                               sales_price=Decimal("1000.00"))

        def link(kind, ours, remote_id, into):
            Link.objects.create(tenant=tenant, kind=kind, local_id=ours.id, tripletex_company_id=cid,
                                tripletex_id=remote_id)
            into.append((ours, remote_id))

        for i, remote in enumerate(fake.objects(cid, "employee")[:4]):
            ours = Employee.objects.create(tenant=tenant, first_name=remote["firstName"],
                                           last_name=remote.get("lastName") or "X", employee_number=f"{100 + i}")
            link(Link.Kind.EMPLOYEE, ours, remote["id"], c.employees)
        for i, remote in enumerate(fake.objects(cid, "project")[:2]):
            ours = Project.objects.create(tenant=tenant, number=f"F{remote['number']}", name=remote["name"],
                                          start_date=dt.date(2026, 1, 1))
            link(Link.Kind.PROJECT, ours, remote["id"], c.projects)
        acts = [a for a in fake.objects(cid, "activity") if a["activityType"] == "PROJECT_GENERAL_ACTIVITY"]
        for remote in acts[:1]:
            ours = Activity.objects.create(tenant=tenant, number=f"L{remote['number']}", name=remote["name"])
            link(Link.Kind.ACTIVITY, ours, remote["id"], c.activities)
    return c


# --- the load --------------------------------------------------------------------------------------

def load_round(c: Company, size: Size) -> int:
    """One round of a company's work: approve `size.entries` hours, create customers, rename older ones.
    Every entry has a Tripletex key of its own, so each is one record to find there. Returns the operations."""
    from django_scopes import scope

    from commerce import services as commerce
    from hr import services as hr
    from hr.models import Customer, TimeEntry

    with scope(tenant=c.tenant):
        made = []
        per_day = len(c.employees) * len(c.projects)
        for i in range(size.entries):
            slot = c.next_day * per_day + i
            day, rest = divmod(slot, per_day)
            emp, proj = divmod(rest, len(c.projects))
            made.append(TimeEntry.objects.create(
                tenant=c.tenant, employee=c.employees[emp][0], project=c.projects[proj][0],
                activity=c.activities[0][0], date=FIRST_DAY + dt.timedelta(days=day),
                hours=Decimal("1.25") + Decimal(i % 6) / 4, status=TimeEntry.Status.SUBMITTED))
        c.next_day += -(-size.entries // per_day)
        hr.time_entries_approve(tenant=c.tenant, entries=TimeEntry.objects.filter(id__in=[e.id for e in made]),
                                by=c.admin)
        c.entries += [e.id for e in made]
        renamed = 0
        for customer_id in c.customers[:]:
            if renamed == size.renames:
                break
            customer = Customer.objects.get(id=customer_id)
            hr.customer_update(tenant=c.tenant, customer=customer,
                               data={"name": f"{customer.name.split(' v')[0]} v{c.renames[customer_id] + 2}"})
            c.renames[customer_id] += 1
            renamed += 1
        new = []
        for _i in range(size.creates):
            number = 80001 + len(c.customers)
            customer = hr.customer_create(tenant=c.tenant, name=f"Feilkunde {number} AS", customer_number=str(number))
            c.customers.append(customer.id)
            new.append(customer)
        for i in range(size.invoices):
            draft = commerce.invoice_draft_save(
                tenant=c.tenant, data={"customer": new[i % len(new)], "invoice_date": FIRST_DAY},
                lines=[{"product": c.product, "quantity": Decimal(1 + i)}])
            invoice = commerce.invoice_issue(tenant=c.tenant, invoice=draft, by=c.admin)
            c.invoices.append(invoice.id)
            payment = commerce.payment_register(tenant=c.tenant, date=FIRST_DAY + dt.timedelta(days=1),
                                                amount=invoice.amount_gross, by=c.admin, kid=invoice.kid)
            c.payments.append(payment.id)
    return size.entries + size.creates + renamed + 2 * size.invoices


# --- the stack a scenario runs on -------------------------------------------------------------------

class Stack:
    def __init__(self, *, settings, fake: Fake, database_url: str, broker_url: str, log_dir: Path,
                 size: Size | None = None, redis: Redis | None = None):
        self.settings, self.fake, self.size = settings, fake, size or Size()
        self.log_dir = log_dir
        self.redis = redis
        self.broker_url = redis.url if redis is not None else broker_url
        self.procs = Procs(log_dir, {
            "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "true", "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": self.broker_url, "SECRET_KEY": settings.SECRET_KEY,
            "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS), "SITE_URL": "http://127.0.0.1:9",
            "TRIPLETEX_BASE_URL": fake.base_url, "TRIPLETEX_CONSUMER_TOKEN": fake.consumer_token,
            "GRJOBB_VAR_DIR": str(log_dir), "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        })
        self.companies: list[Company] = []
        self.problems: list[str] = []
        self.operations = 0
        self._saved = {name: getattr(settings, name, None) for name in
                       [*TUNING, "HOURS_QUEUE", "CONNECTORS_QUEUE", "CELERY_TASK_DEFAULT_QUEUE", "TRIPLETEX_BASE_URL",
                        "TRIPLETEX_CONSUMER_TOKEN", "SITE_URL"]}

    def __enter__(self) -> Stack:
        from config.celery_app import app

        self._broker_before = (app.conf.broker_write_url or app.conf.broker_url, app.conf.task_default_queue)
        if self.redis is not None:
            self.redis.start()
        for name, value in TUNING.items():
            setattr(self.settings, name, value)
        self.settings.HOURS_QUEUE = self.procs.hours_queue
        self.settings.CONNECTORS_QUEUE = self.procs.connectors_queue
        self.settings.CELERY_TASK_DEFAULT_QUEUE = self.procs.default_queue
        self.settings.TRIPLETEX_BASE_URL = self.fake.base_url
        self.settings.TRIPLETEX_CONSUMER_TOKEN = self.fake.consumer_token
        # Webhook subscriptions point here: nothing listens, so the fake's own deliveries fail at once and
        # the webhook scenario makes the deliveries it wants.
        self.settings.SITE_URL = "http://127.0.0.1:9"
        use_broker(self.broker_url, self.procs.default_queue)
        self.companies = [company_connect(self.fake, n) for n in range(self.size.companies)]
        return self

    def __exit__(self, *exc) -> None:
        from integrations.clients import close_pooled_clients

        self.procs.stop_all()
        if self.redis is not None:
            self.redis.stop()
        self.fake.clear_faults()
        use_broker(*self._broker_before)
        for name, value in self._saved.items():
            setattr(self.settings, name, value)
        close_pooled_clients()

    # the load

    def load(self, rounds: int | None = None, companies: list[Company] | None = None) -> None:
        for _r in range(rounds or self.size.rounds):
            for c in companies or self.companies:
                self.operations += load_round(c, self.size)

    # waiting for the work to be done

    def pending(self, companies: list[Company] | None = None) -> int:
        from django_scopes import scopes_disabled

        from integrations.models import HourTransfer, OutboundChange

        tenants = [c.tenant for c in companies or self.companies]
        with scopes_disabled():
            hours = HourTransfer.objects.filter(
                tenant__in=tenants, state__in=[HourTransfer.State.PENDING, HourTransfer.State.SENDING]).count()
            changes = OutboundChange.objects.filter(
                tenant__in=tenants,
                state__in=[OutboundChange.State.PENDING, OutboundChange.State.SENDING]).count()
        return hours + changes

    def settle(self, *, timeout: float = 90, sweep: bool = True, companies: list[Company] | None = None) -> float:
        """Until nothing is left to send (or `timeout`), sweeping every second as beat would; the seconds taken."""
        from integrations import tasks

        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if not self.pending(companies):
                break
            if sweep:
                for task in (tasks.sweep_hours, tasks.sweep_local_changes):
                    try:
                        task()
                    except Exception as exc:  # noqa: BLE001 - a broker still coming back: sweep again in a second
                        print(f"sweep failed: {exc!r}", file=sys.stderr)
            time.sleep(1)
        return time.monotonic() - start

    def wait_calls(self, call: str, at_least: int = 1, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.fake.calls().get(call, 0) >= at_least:
                return
            time.sleep(0.1)
        raise AssertionError(f"no {call} within {timeout} s\n{self.procs.logs()}")

    # both sides, record by record

    def compare(self, companies: list[Company] | None = None) -> dict:
        from django_scopes import scope

        out = Counter()
        self.problems = []
        for c in companies or self.companies:
            with scope(tenant=c.tenant):
                for compare in (compare_hours, compare_customers, compare_invoices):
                    counts = compare(self.fake, c, self.problems)
                    out.update(counts)
        return {"delivered_once": out["delivered_once"], "duplicates": out["duplicates"], "missing": out["missing"]}

    def line(self, scenario: str, recovery_s: float, **extra) -> dict:
        line = {"scenario": scenario, "operations": self.operations, **self.compare(),
                "recovery_s": round(recovery_s, 2), **extra}
        if self.problems:
            line["problems"] = self.problems[:20]
        return line


def compare_hours(fake: Fake, c: Company, problems: list[str]) -> Counter:
    """Each approved entry is one Tripletex timesheet entry with its hours: once, not twice, not missing."""
    from hr.models import TimeEntry

    emp = {e.id: t for e, t in c.employees}
    proj = {p.id: t for p, t in c.projects}
    act = {a.id: t for a, t in c.activities}
    expected = {}
    for e in TimeEntry.objects.filter(id__in=c.entries):
        expected[(emp[e.employee_id], e.date.isoformat(), proj[e.project_id], act[e.activity_id])] = e.hours
    remote: dict[tuple, list[Decimal]] = {}
    for e in fake.objects(c.company_id, "timesheet_entry"):
        key = (e["employee"]["id"], e["date"], e["project"]["id"], e["activity"]["id"])
        remote.setdefault(key, []).append(Decimal(str(e["hours"])))
    out = Counter()
    for key, hours in expected.items():
        there = remote.pop(key, [])
        if len(there) > 1 or (there and there[0] > hours):
            out["duplicates"] += 1
            problems.append(f"{c.tenant.name}: hours {key}: {there} in Tripletex, {hours} approved")
        elif there and there[0] == hours:
            out["delivered_once"] += 1
        else:
            out["missing"] += 1
            problems.append(f"{c.tenant.name}: hours {key}: {there} in Tripletex, {hours} approved")
    out["duplicates"] += len(remote)  # entries Tripletex holds that nobody approved
    problems += [f"{c.tenant.name}: hours {key} in Tripletex, never approved" for key in remote]
    return out


def compare_customers(fake: Fake, c: Company, problems: list[str]) -> Counter:
    """Each customer created here is one Tripletex customer (by number), with the name it was last given here."""
    from hr.models import Customer

    remote: dict[int, list[dict]] = {}
    for obj in fake.objects(c.company_id, "customer"):
        remote.setdefault(int(obj.get("customerNumber") or 0), []).append(obj)
    out = Counter()
    for customer in Customer.objects.filter(id__in=c.customers):
        ops = 1 + c.renames[customer.id]
        there = remote.get(int(customer.customer_number), [])
        if len(there) > 1:
            out["duplicates"] += len(there) - 1
        if len(there) != 1 or there[0]["name"] != customer.name:
            problems.append(f"{c.tenant.name}: customer {customer.customer_number} {customer.name!r}: "
                            f"{[o['name'] for o in there]} in Tripletex")
        if not there:
            out["missing"] += ops
        elif there[0]["name"] != customer.name:
            out["missing"] += c.renames[customer.id] or 1
            out["delivered_once"] += ops - (c.renames[customer.id] or 1)
        else:
            out["delivered_once"] += ops
    return out


def compare_invoices(fake: Fake, c: Company, problems: list[str]) -> Counter:
    """Each invoice issued here is one voucher in Tripletex (by its number), with its PDF attached; each
    payment one voucher (by invoice number and payment id)."""
    from commerce.models import Invoice, Payment

    vouchers = Counter()
    attached = set()
    for v in fake.objects(c.company_id, "voucher"):
        if v.get("externalVoucherNumber"):
            vouchers[v["externalVoucherNumber"]] += 1
            if v.get("attachment"):
                attached.add(v["externalVoucherNumber"])
    out = Counter()
    for number in Invoice.objects.filter(id__in=c.invoices).values_list("number", flat=True):
        there = vouchers[str(number)]
        if there != 1 or str(number) not in attached:
            problems.append(f"{c.tenant.name}: invoice {number}: {there} vouchers, attached {str(number) in attached}")
        if there > 1:
            out["duplicates"] += there - 1
        elif there == 1 and str(number) in attached:
            out["delivered_once"] += 1
        else:
            out["missing"] += 1
    for payment in Payment.objects.filter(id__in=c.payments).select_related("invoice"):
        there = vouchers[f"{payment.invoice.number}-{payment.id}"]
        if there != 1:
            problems.append(f"{c.tenant.name}: payment {payment.invoice.number}-{payment.id}: {there} vouchers")
        if there > 1:
            out["duplicates"] += there - 1
        elif there == 1:
            out["delivered_once"] += 1
        else:
            out["missing"] += 1
    return out


# --- the scenarios -----------------------------------------------------------------------------------

def sigkill(st: Stack) -> dict:
    """1. A worker killed with SIGKILL mid-batch, then restarted."""
    # Every hours batch takes a second in Tripletex, so the kill lands while one is in flight; Tripletex still
    # commits it, and the restarted worker must find it there rather than send it again.
    st.fake.faults(path_prefix="/timesheet/entry/list", latency_ms=1000)
    first = st.procs.worker()
    st.load()
    st.wait_calls("POST /timesheet/entry/list")
    time.sleep(0.3)
    st.procs.kill(first)
    in_flight = _sending()
    st.fake.clear_faults()
    start = time.monotonic()
    st.procs.worker()
    st.settle()
    return st.line("worker_sigkill_mid_batch", time.monotonic() - start, in_flight_at_kill=in_flight)


def _sending() -> int:
    """Rows a worker had claimed and not finished: what a kill leaves in doubt."""
    from django_scopes import scopes_disabled

    from integrations.models import HourTransfer, OutboundChange

    with scopes_disabled():
        return (HourTransfer.objects.filter(state=HourTransfer.State.SENDING).count()
                + OutboundChange.objects.filter(state=OutboundChange.State.SENDING).count())


def redis_restart(st: Stack) -> dict:
    """2. Redis restarted while tasks are queued: what the broker lost, the outbox sweep sends. Needs a Stack
    on a Redis of its own (`Stack(redis=...)`)."""
    redis = st.redis
    st.fake.faults(path_prefix="/timesheet", latency_ms=300)
    st.procs.worker()
    st.load()
    queued = _queued(redis)
    redis.stop()
    # Work done while the broker is down commits; its tasks cannot be queued (robust on_commit).
    st.load(rounds=1)
    time.sleep(1)
    redis.start()
    st.fake.clear_faults()
    start = time.monotonic()
    st.settle(timeout=120)
    return st.line("redis_restart", time.monotonic() - start, tasks_queued_at_restart=queued)


def _queued(redis: Redis) -> int:
    import redis as redis_lib

    client = redis_lib.Redis(port=redis.port)
    return sum(client.llen(k) for k in client.keys("faults-*") if client.type(k) == b"list")


def postgres_terminated(st: Stack) -> dict:
    """3. Every PostgreSQL connection of the workers terminated server-side, several times during a run."""
    from django.db import connection

    st.fake.faults(path_prefix="/timesheet", latency_ms=200)
    st.fake.faults(path_prefix="/customer", latency_ms=200)
    st.procs.worker(concurrency=2)
    st.load(rounds=1)
    terminated = 0
    for _round in range(st.size.rounds - 1):
        st.load(rounds=1)
        for _i in range(4):
            time.sleep(0.4)
            with connection.cursor() as cur:
                cur.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()")
                terminated += cur.fetchone()[0]
    st.fake.clear_faults()
    start = time.monotonic()
    st.settle()
    return st.line("postgres_connections_terminated", time.monotonic() - start, connections_terminated=terminated)


def tripletex_faults(st: Stack) -> dict:
    """4. Tripletex answering 20 % 5xx, 429 bursts, hanging past the read timeout, committing then dropping."""
    st.fake.faults(error_rate=0.2, error_status=503)
    st.fake.faults(burst_429=8, reset_seconds=1)
    st.fake.faults(hang=4, hang_seconds=HANG_S)
    st.fake.faults(path_prefix="/timesheet/entry/list", drop_after_commit=3)
    st.fake.faults(path_prefix="/customer", drop_after_commit=3)
    # Slow customers: two tasks of one company (the two-way connector's new customer, the invoice that needs
    # it) both find it missing and both create it.
    st.fake.faults(path_prefix="/customer", latency_ms=500)
    st.procs.worker(concurrency=2)
    st.load()
    # The faults last the whole run: recovery is the time from the last approval until all is in Tripletex.
    start = time.monotonic()
    st.settle(timeout=120)
    recovery = time.monotonic() - start
    st.fake.clear_faults()
    return st.line("tripletex_5xx_429_hang_drop", recovery)


def key_revoked(st: Stack) -> dict:
    """5. One company's key revoked in Tripletex mid-run: it waits for a new key, its admin sees it, the
    others carry on; with the new key everything that waited goes, once."""
    from django.test import Client
    from django_scopes import scopes_disabled

    from integrations.models import Connection
    from integrations.services import connection_token_replace

    victim, others = st.companies[0], st.companies[1:]
    st.procs.worker(concurrency=2)
    st.load(rounds=1)
    st.fake("POST", "tokens/revoke", json={"token": victim.token})
    st.load(rounds=st.size.rounds - 1)
    st.settle(companies=others)
    others_done = st.pending(others) == 0 and st.compare(others)["delivered_once"] > 0
    with scopes_disabled():
        waiting = Connection.objects.get(tenant=victim.tenant).state == Connection.State.NEEDS_TOKEN
        others_active = all(Connection.objects.get(tenant=c.tenant).state == Connection.State.ACTIVE for c in others)
    page = _admin_home(Client(), victim)
    admin_sees_it = 'data-testid="key-banner"' in page
    others_see_it = any('data-testid="key-banner"' in _admin_home(Client(), c) for c in others)

    new_key = st.fake("POST", f"companies/{victim.company_id}/tokens", json={"application": APPLICATION})["token"]
    start = time.monotonic()
    with scopes_disabled():
        connection_token_replace(tenant=victim.tenant, by=victim.admin, employee_token=new_key,
                                 company_id=victim.company_id, employee_name="Admin", key_rights={})
    st.settle()
    return st.line("key_revoked_mid_run", time.monotonic() - start, needs_new_key=waiting, admin_sees_it=admin_sees_it,
                   others_untouched=others_done and others_active and not others_see_it)


def _admin_home(client, c: Company) -> str:
    client.force_login(c.admin)
    session = client.session
    session["tenant_id"] = c.tenant.id
    session.save()
    from django.urls import reverse

    return client.get(reverse("integrations:hours")).content.decode()


def webhooks(st: Stack) -> dict:
    """6. Webhook deliveries twice, out of order, and one with a forged secret (refused, nothing changed),
    alongside the usual load. Each customer changed in Tripletex must be here once, as Tripletex has it."""
    from django.test import Client
    from django_scopes import scope, scopes_disabled

    from hr.models import Customer
    from integrations.connectors import webhooks as hooks
    from integrations.models import Connection, Link, WebhookDelivery, WebhookSubscription

    st.procs.worker(concurrency=2)
    client = Client()
    made: list[tuple[Company, int, str]] = []  # (company, Tripletex customer id, the name Tripletex ends with)
    refused = Counter()
    for c in st.companies:
        with scope(tenant=c.tenant):
            hooks.subscriptions_sync(tenant=c.tenant)
        with scopes_disabled():
            connection = Connection.objects.get(tenant=c.tenant)
            subs = {s.event: s.tripletex_id for s in WebhookSubscription.objects.filter(tenant=c.tenant)}
        url = f"/webhooks/tripletex/{connection.webhook_key}/"
        for i in range(st.size.creates * st.size.rounds):
            obj = st.fake.change(c.company_id, "customer", name=f"Fra Tripletex {i} {uuid.uuid4().hex[:4]}",
                                 customerNumber=70001 + i, isCustomer=True)
            renamed = st.fake.change(c.company_id, "customer", obj["id"], name=obj["name"] + " endret")
            key = str(uuid.uuid4())
            # Out of order (the update before the create) and each twice, the second time with the same key,
            # as Tripletex retries.
            for event, snapshot, k in (("customer.update", renamed, key), ("customer.create", obj, None),
                                       ("customer.update", renamed, key), ("customer.create", obj, None)):
                body = {"subscriptionId": subs[event], "event": event, "id": snapshot["id"],
                        "value": {"id": snapshot["id"], "version": snapshot.get("version")}}
                status = client.post(url, **hooks_signed(connection.webhook_secret, body,
                                                         k or str(uuid.uuid4()))).status_code
                assert status == 200, status
            made.append((c, obj["id"], renamed["name"]))
            st.operations += 2
        st.load(rounds=1, companies=[c])
    st.settle()
    # Forged: a change in Tripletex announced with another secret must change nothing here.
    for c in st.companies:
        with scopes_disabled():
            connection = Connection.objects.get(tenant=c.tenant)
            before = WebhookDelivery.objects.filter(tenant=c.tenant).count()
            subs = {s.event: s.tripletex_id for s in WebhookSubscription.objects.filter(tenant=c.tenant)}
        _c, tripletex_id, _name = next(m for m in made if m[0] is c)
        changed = st.fake.change(c.company_id, "customer", tripletex_id, name="Forfalsket navn")
        body = {"subscriptionId": subs["customer.update"], "event": "customer.update", "id": tripletex_id,
                "value": {"id": tripletex_id, "version": changed["version"]}}
        url = f"/webhooks/tripletex/{connection.webhook_key}/"
        forged = hooks_signed("forfalsket-" + uuid.uuid4().hex, body, str(uuid.uuid4()))
        refused[client.post(url, **forged).status_code] += 1
        with scopes_disabled():
            refused["stored"] += WebhookDelivery.objects.filter(tenant=c.tenant).count() - before
    start = time.monotonic()
    st.settle()
    time.sleep(1)  # a forged delivery that got through would be processed by now
    out = Counter()
    with scopes_disabled():
        for c, tripletex_id, name in made:
            links = list(Link.objects.filter(tenant=c.tenant, kind=Link.Kind.CUSTOMER, tripletex_id=tripletex_id))
            rows = Customer.objects.filter(tenant=c.tenant, id__in=[link.local_id for link in links])
            local_same = Customer.objects.filter(tenant=c.tenant, name=name).count()
            if len(links) > 1 or local_same > 1:
                out["duplicates"] += 1
            elif rows and rows[0].name == name:
                out["delivered_once"] += 2
            else:
                out["missing"] += 2
        forged_changed = Customer.objects.filter(tenant__in=[c.tenant for c in st.companies],
                                                 name="Forfalsket navn").exists()
    line = st.line("webhook_twice_out_of_order_forged", time.monotonic() - start,
                   forged_refused=refused[403], forged_stored=refused["stored"], forged_changed_anything=forged_changed)
    for k in ("delivered_once", "duplicates", "missing"):
        line[k] += out[k]
    return line


def hooks_signed(secret: str, payload: dict, idempotency_key: str) -> dict:
    """Django test client arguments for a delivery as Tripletex makes it, signed with `secret`."""
    import base64
    import hashlib
    import hmac

    from integrations.connectors.webhooks import _hmac_key

    body = json.dumps(payload).encode()
    mac = hmac.new(_hmac_key(secret), idempotency_key.encode() + b"&" + body, hashlib.sha512).digest()
    return {"data": body, "content_type": "application/json",
            "headers": {"Authorization": f"Bearer {secret}", "idempotency-key": idempotency_key,
                        "x-request-signature": base64.b64encode(mac).decode()}}


# The beat's plain log line (LOG_FORMAT=plain in these processes) for each sweep it sends.
BEAT_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d+) INFO celery\.beat Scheduler: Sending due task "
                       r"hours-sweep", re.M)


def beat_restarted(st: Stack) -> dict:
    """7. Two workers and a beat at once, the beat restarted half-way: only the beat's sweeps send (nothing
    is queued on commit here), so a missed schedule leaves hours behind and a doubled one shows in its log."""
    from integrations import tasks
    from integrations.connectors import services

    interval = 1.0
    st.procs.env["SWEEP_SECONDS"] = str(interval)
    schedule = st.log_dir / "celerybeat-schedule"
    saved = tasks.enqueue_push, services._enqueue_push
    # The broker took nothing at commit (as when it is down): the beat's sweeps are all that sends.
    tasks.enqueue_push = lambda **_kw: None
    services._enqueue_push = lambda **_kw: None
    try:
        st.procs.worker(concurrency=2)
        st.procs.worker(concurrency=2)
        beat = st.procs.beat(schedule)
        st.load(rounds=max(1, st.size.rounds - 1))
        time.sleep(3)
        Procs.kill(beat, signal.SIGTERM)
        st.load(rounds=1)
        time.sleep(1)
        start = time.monotonic()
        st.procs.beat(schedule)
        st.settle(sweep=False, timeout=90)
        recovery = time.monotonic() - start
        time.sleep(2)  # a few more ticks of the restarted beat: still one sweep per interval
    finally:
        tasks.enqueue_push, services._enqueue_push = saved
    sends, gaps = 0, []
    # Each beat's own sends: the restarted one must keep the interval (no sweep missed, none doubled).
    for _proc, log in st.procs.procs:
        if log.name.startswith("beat"):
            times = [dt.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timestamp() + int(m.group(2)) / 1000
                     for m in BEAT_LINE.finditer(log.read_text())]
            sends += len(times)
            gaps += [b - a for a, b in zip(times, times[1:])]
    return st.line("two_workers_beat_restarted", recovery, beat_sweeps=sends,
                   doubled_sweeps=sum(1 for g in gaps if g < interval / 2),
                   longest_gap_s=round(max(gaps, default=0), 2))


SCENARIOS = {
    "worker_sigkill_mid_batch": sigkill,
    "redis_restart": redis_restart,
    "postgres_connections_terminated": postgres_terminated,
    "tripletex_5xx_429_hang_drop": tripletex_faults,
    "key_revoked_mid_run": key_revoked,
    "webhook_twice_out_of_order_forged": webhooks,
    "two_workers_beat_restarted": beat_restarted,
}
