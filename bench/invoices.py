"""Benchmark: issued invoices (with PDFs) and payments to Tripletex through the real connector path.

    python -m bench.invoices --invoices 2000 --lines 5 --latency-ms 20

Starts the fake Tripletex with the added latency, makes one company in a fresh SQLite database with
"Faktura og innbetalinger" on, issues N invoices of L lines (each with its PDF) and lets real Celery workers
send them; one worker is killed (SIGKILL) a third of the way through and a new one started. Then registers
N/2 payments and sends them the same way. Last, a baseline on a sample in the same run: the same workers,
but every send re-reads Tripletex first (the accounts, the VAT types, and its voucher by our number).

With `--journal` it measures seed 002's path instead (`bench.invoice_journal`'s run: one journal of N issued
invoices sent as invoiced orders, the worker killed half-way after Tripletex made an invoice and the task handed
to the next), printing one line with the same keys (`"kind": "journal"`) and a targets line.

Prints one JSON line each for invoices, payments and the baseline (`count`, `seconds`, `api_calls`,
`api_calls_per_item`, `sql_queries`, `duplicates`, `missing`, `peak_rss_mb`, `task_errors`), and one with the
targets.

A worker that dies leaves its claim; the platform's sweep (beat, every minute) puts back claims older than
five minutes. The bench does that sweep itself every two seconds for claims whose worker process is gone,
so a kill costs seconds, not five minutes; what it proves is that nothing is lost or sent twice. A claim
names the pool process that made it (read when it claims: a value kept from import named the worker's
parent in every forked child, so a claim a child left behind looked alive and the bench waited its full 15
minutes with the pool idle); a task that fails puts its claim back itself, and `task_errors` counts those.

This module is also the workers' Celery app (`celery -A bench.invoices worker`): each task's SQL queries are
counted (with `bench.push_hours`' signals) and, for the baseline, every send re-reads Tripletex.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The benchmark's own database, media and broker folder, before Django starts; the workers inherit them.
if os.environ.get("BENCH_WORKER") != "1" and __name__ == "__main__":
    _DIR = Path(tempfile.mkdtemp(prefix="grjobb-bench-invoices-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{_DIR / 'bench.sqlite3'}"
    os.environ["GRJOBB_VAR_DIR"] = str(_DIR)
    os.environ["BENCH_QUEUE"] = f"bench-invoices-{uuid.uuid4().hex[:8]}"
    os.environ["CONNECTORS_QUEUE"] = os.environ["BENCH_QUEUE"]  # the invoice pushes go to its workers
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # one log line per Tripletex call would drown the figures
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

# push_hours' task signals count each task's SQL queries into BENCH_SQL_DIR; importing it connects them here too.
from bench.push_hours import control, peak_rss_mb, start_fake  # noqa: E402
from config.celery_app import app  # noqa: E402

if os.environ.get("BENCH_QUEUE"):
    app.conf.task_default_queue = os.environ["BENCH_QUEUE"]


def _baseline_patch() -> None:
    """Every send re-reads Tripletex: accounts and VAT types again, and its voucher looked up by our number."""
    from integrations.connectors.invoices import outbound

    def fresh(send):
        def wrapped(ctx, row, log):
            for key in ("accounts", "tripletex_accounts", "vat_types"):
                ctx.cache.pop(key, None)
            return send(ctx, row, log)
        return wrapped

    outbound._invoice_send = fresh(outbound._invoice_send)
    outbound._payment_send = fresh(outbound._payment_send)
    outbound._in_doubt = lambda ctx, kind, local_id: True


if os.environ.get("BENCH_WORKER") == "1" and os.environ.get("BENCH_BASELINE") == "1":
    _baseline_patch()

ACCOUNTS = [("1500", "Kundefordringer", "receivable", "", "1500"), ("1920", "Bank", "bank", "", "1920"),
            ("3000", "Salg høy sats", "sales", "3", "3000"), ("3010", "Salg middels sats", "sales", "31", "3000"),
            ("3100", "Salg fritatt", "sales", "5", "3100")]
START = dt.date(2026, 1, 5)
DAYS = 200  # invoices spread over the days: a lookup by date (after a lost answer) reads one day's vouchers


class Workers:
    def __init__(self, info: dict, *, count: int, concurrency: int, baseline: bool = False):
        from django.conf import settings

        self.sql_dir = Path(tempfile.mkdtemp(prefix="grjobb-bench-sql-"))
        # A task that fails says why here (the workers log warnings and errors), and each phase counts them.
        self.log_dir = Path(tempfile.mkdtemp(prefix="grjobb-bench-logs-"))
        self.errors_seen = 0
        self.env = {**os.environ, "BENCH_WORKER": "1", "BENCH_SQL_DIR": str(self.sql_dir),
                    "BENCH_BASELINE": "1" if baseline else "0",
                    "TRIPLETEX_BASE_URL": info["base_url"], "TRIPLETEX_CONSUMER_TOKEN": info["consumer_token"],
                    "SECRET_KEY": settings.SECRET_KEY,
                    "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS), "LOG_LEVEL": "WARNING"}
        self.concurrency, self.procs, self.dead = concurrency, [], []
        for _ in range(count):
            self.start()
        time.sleep(4)  # let them come up before the clock starts

    def start(self) -> None:
        n = len(self.procs) + len(self.dead)
        log = open(self.log_dir / f"worker-{n}.log", "ab")  # noqa: SIM115 - the worker writes it until it ends
        self.procs.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "bench.invoices", "worker", "-Q", os.environ["BENCH_QUEUE"],
             "--pool=prefork", f"--concurrency={self.concurrency}", "-n", f"bench{n}-{uuid.uuid4().hex[:6]}@%h",
             "--without-mingle", "--without-gossip", "--without-heartbeat", "-l", "WARNING"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True))
        log.close()  # the worker has its own copy

    def kill_one(self) -> None:
        """SIGKILL a worker and its pool mid-run, as a crash or an OOM kill would, and start a new one."""
        proc = self.procs.pop(0)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        self.dead.append(proc)
        self.start()

    def peak_rss_mb(self) -> float:
        return peak_rss_mb([p.pid for p in self.procs] + [os.getpid()])

    def sql_queries(self) -> int:
        total = sum(int(x) for f in self.sql_dir.glob("*.sql") for x in f.read_text().split())
        for f in self.sql_dir.glob("*.sql"):
            f.unlink()
        return total

    def task_errors(self) -> int:
        """Tasks that raised since the last call (Celery logs each with its traceback)."""
        total = sum(f.read_text(errors="replace").count("Traceback") for f in self.log_dir.glob("*.log"))
        new, self.errors_seen = total - self.errors_seen, total
        return new

    def stop(self) -> None:
        for p in self.procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


class quiet_enqueue:
    """Setup writes the outbox rows as issuing does, but queues no task: the clock starts when the bench
    queues them, one push per row as each commit would have."""

    def __enter__(self):
        from integrations.connectors import services

        self.services, self.saved, self.count = services, services._enqueue_push, 0

        def hold(*, tenant_id):
            self.count += 1
        services._enqueue_push = hold
        return self

    def __exit__(self, *exc):
        self.services._enqueue_push = self.saved


def setup_company(info: dict, name: str):
    from django_scopes import scopes_disabled

    from commerce import services
    from hr.models import Customer, Project
    from integrations.models import Connection, ConnectorConfig
    from tenants.models import Tenant

    company = control(info, "POST", "companies", json={
        "name": name, "employees": 2, "projects": 1, "customers": 1, "applications": ["GrønnJobb"]})
    cid, token = company["id"], company["employee_tokens"]["GrønnJobb"]
    with scopes_disabled():
        tenant = Tenant.objects.create(name=name, org_number=str(uuid.uuid4().int)[:9],
                                       slug=f"bench-{uuid.uuid4().hex[:8]}")
        Connection.objects.create(tenant=tenant, state=Connection.State.ACTIVE, employee_token=token,
                                  tripletex_company_id=cid, tripletex_company_name=name)
        ConnectorConfig.objects.create(tenant=tenant, name="invoices", enabled=True)
        for number, label, role, vat, theirs in ACCOUNTS:
            services.ledger_account_save(tenant=tenant, data={"number": number, "name": label, "role": role,
                                                              "vat_code": vat, "tripletex_number": theirs})
        customers = Customer.objects.bulk_create([
            Customer(tenant=tenant, name=f"Kunde {i} AS", customer_number=str(10000 + i), payment_terms_days=14)
            for i in range(20)])
        projects = Project.objects.bulk_create([
            Project(tenant=tenant, number=str(7000 + i), name=f"Oppdrag {i}", start_date=START) for i in range(10)])
    return tenant, cid, customers, projects


def issue_invoices(tenant, customers, projects, *, count: int, lines: int) -> list:
    from django_scopes import scope

    from commerce import services
    from commerce.models import Product

    with scope(tenant=tenant):
        if not Product.objects.filter(tenant=tenant).exists():
            for i in range(6):
                services.product_save(tenant=tenant, data={
                    "number": str(100 + i), "name": f"Vare {i}", "unit": "stk", "sales_price": Decimal("100.00") + i,
                    "cost_price": Decimal("50.00"), "vat_code": ("3", "31", "5")[i % 3]})
        products = list(Product.objects.filter(tenant=tenant).order_by("number"))
        invoices = []
        for i in range(count):
            data = {"customer": customers[i % len(customers)], "project": projects[i % len(projects)],
                    "invoice_date": START + dt.timedelta(days=i % DAYS), "currency": "NOK"}
            rows = [{"product": products[(i + j) % len(products)], "description": f"Linje {j + 1}",
                     "quantity": Decimal(j + 1), "unit_price": products[(i + j) % len(products)].sales_price,
                     "vat_code": products[(i + j) % len(products)].vat_code} for j in range(lines)]
            draft = services.invoice_draft_save(tenant=tenant, data=data, lines=rows)
            invoices.append(services.invoice_issue(tenant=tenant, invoice=draft, by=None))
    return invoices


def register_payments(tenant, invoices) -> list:
    from django_scopes import scope

    from commerce import services

    with scope(tenant=tenant):
        return [services.payment_register(tenant=tenant, date=inv.invoice_date + dt.timedelta(days=10),
                                          amount=inv.amount_gross, by=None,
                                          **({"kid": inv.kid} if i % 2 else {"invoice": inv}))
                for i, inv in enumerate(invoices)]


def _pid_alive(claimed_by: str) -> bool:
    try:
        os.kill(int(claimed_by.rsplit(":", 1)[1]), 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _sweep(tenant) -> None:
    """What the beat's sweep does, sooner: claims of dead workers go back, and due rows get a push."""
    from django_scopes import scopes_disabled

    from integrations.models import OutboundChange
    from integrations.tasks import push_local_changes

    with scopes_disabled():
        for change in OutboundChange.objects.filter(tenant=tenant, state=OutboundChange.State.SENDING):
            if not _pid_alive(change.claimed_by):
                OutboundChange.objects.filter(id=change.id, state=OutboundChange.State.SENDING).update(
                    state=OutboundChange.State.PENDING, claimed_by="", claimed_at=None)
        if OutboundChange.objects.filter(tenant=tenant, state=OutboundChange.State.PENDING).exists():
            push_local_changes.delay(tenant_id=tenant.id)


def send_and_wait(workers: Workers, tenant, *, kind: str, count: int, pushes: int, kill_at: int | None) -> float:
    """Queue the pushes, wait until every row is linked (or failed), killing a worker at `kill_at` linked."""
    from django_scopes import scopes_disabled

    from integrations.models import Link, OutboundChange
    from integrations.tasks import push_local_changes

    started = time.monotonic()
    for _ in range(pushes):
        push_local_changes.delay(tenant_id=tenant.id)
    deadline, last_sweep = started + 900, time.monotonic()
    with scopes_disabled():
        links = Link.objects.filter(tenant=tenant, kind=kind)
        if kind == "invoice":
            links = links.filter(synced_values__attached=True)
        open_rows = OutboundChange.objects.filter(tenant=tenant, kind=kind, state__in=(
            OutboundChange.State.PENDING, OutboundChange.State.SENDING))
        while time.monotonic() < deadline:
            linked = links.count()
            if kill_at is not None and linked >= kill_at:
                workers.kill_one()
                kill_at = None
            if linked >= count and not open_rows.exists():
                break
            if not open_rows.exists():
                break  # nothing left to send: what is not linked failed, and is counted missing
            if time.monotonic() - last_sweep > 2:
                _sweep(tenant)
                last_sweep = time.monotonic()
            time.sleep(0.2)
    return time.monotonic() - started


def check_remote(info: dict, cid: int, expected: set[str]) -> tuple[int, int, int]:
    """Duplicates, missing and invoice vouchers without their PDF, read from the fake."""
    vouchers = control(info, "GET", f"companies/{cid}/objects/voucher")["values"]
    numbers = Counter(v.get("externalVoucherNumber") for v in vouchers if v.get("externalVoucherNumber") in expected)
    duplicates = sum(n - 1 for n in numbers.values()) + sum(
        1 for v in vouchers if v.get("externalVoucherNumber") not in expected)
    missing = sum(1 for e in expected if e not in numbers)
    without_pdf = sum(1 for v in vouchers if "-" not in (v.get("externalVoucherNumber") or "-")
                      and v.get("externalVoucherNumber") in expected and not v.get("attachment"))
    return duplicates, missing, without_pdf


def _calls(info: dict, cid: int) -> int:
    calls = control(info, "GET", "calls", params={"company_id": cid})["calls"]
    control(info, "DELETE", "calls")
    return sum(calls.values())


def phase(info, workers, tenant, cid, *, kind: str, rows: list, pushes: int, expected: set[str],
          kill: bool, mode: str) -> dict:
    control(info, "DELETE", "calls")
    workers.sql_queries()
    killed_before = len(workers.dead)
    seconds = send_and_wait(workers, tenant, kind=kind, count=len(rows), pushes=pushes,
                            kill_at=len(rows) // 3 if kill else None)
    api_calls = _calls(info, cid)
    duplicates, missing, without_pdf = check_remote(info, cid, expected)
    out = {"mode": mode, "kind": kind, "count": len(rows), "seconds": round(seconds, 2), "api_calls": api_calls,
           "api_calls_per_item": round(api_calls / len(rows), 3), "sql_queries": workers.sql_queries(),
           "duplicates": duplicates, "missing": missing, "peak_rss_mb": workers.peak_rss_mb(),
           "task_errors": workers.task_errors()}
    out["sql_queries_per_item"] = round(out["sql_queries"] / len(rows), 1)
    if kind == "invoice":
        out["without_pdf"] = without_pdf
    if kill:
        out["workers_killed"] = len(workers.dead) - killed_before
    return out


def sql_per_invoice_by_lines(info: dict) -> dict:
    """The same push in this process for invoices of 1 and of 20 lines: queries per invoice must not grow."""
    from django.db import connection as conn
    from django_scopes import scope

    from integrations.connectors import runner

    out = {}
    for lines in (1, 20):
        tenant, _cid, customers, projects = setup_company(info, f"Linjer {lines} AS")
        with quiet_enqueue():
            warm = issue_invoices(tenant, customers[:1], projects[:1], count=1, lines=lines)
        with scope(tenant=tenant):
            runner.outbound_changes_push(tenant=tenant)  # customer, project, accounts: once, not measured
            with quiet_enqueue():
                issue_invoices(tenant, customers[:1], projects[:1], count=10, lines=lines)
            # Counted with a wrapper, not Django's query log: that log is capped and already full here.
            queries = []
            with conn.execute_wrapper(lambda execute, *a: queries.append(1) or execute(*a)):
                outcome = runner.outbound_changes_push(tenant=tenant)
        assert outcome.sent == 10 and warm, outcome
        out[str(lines)] = round(len(queries) / 10, 1)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.invoices", description=__doc__.split("\n\n")[0])
    ap.add_argument("--invoices", type=int, default=2000)
    ap.add_argument("--lines", type=int, default=5)
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--baseline", type=int, default=100, help="invoices the re-read-everything baseline sends")
    ap.add_argument("--workers", type=int, default=2, help="worker processes")
    ap.add_argument("--concurrency", type=int, default=2, help="pool size per worker")
    ap.add_argument("--no-kill", action="store_true", help="do not kill a worker mid-run")
    ap.add_argument("--journal", action="store_true",
                    help="the invoice journal (seed 002) as invoiced orders instead of vouchers and payments")
    args = ap.parse_args(argv)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if args.journal:
        return journal_main(args)
    fake, info = start_fake(args.latency_ms)
    from django.conf import settings

    # This process sends too (the SQL-by-lines measure), to the same fake.
    settings.TRIPLETEX_BASE_URL, settings.TRIPLETEX_CONSUMER_TOKEN = info["base_url"], info["consumer_token"]
    results = []
    try:
        tenant, cid, customers, projects = setup_company(info, "Drifti Bench AS")
        setup_started = time.monotonic()
        with quiet_enqueue() as held:
            invoices = issue_invoices(tenant, customers, projects, count=args.invoices, lines=args.lines)
        issue_seconds = time.monotonic() - setup_started
        expected = {str(i.number) for i in invoices}
        workers = Workers(info, count=args.workers, concurrency=args.concurrency)
        try:
            out = phase(info, workers, tenant, cid, kind="invoice", rows=invoices, pushes=held.count,
                        expected=expected, kill=not args.no_kill, mode="connector")
            out["lines"], out["issue_seconds_not_timed"] = args.lines, round(issue_seconds, 2)
            out["sql_queries_per_invoice_by_lines"] = sql_per_invoice_by_lines(info)
            print(json.dumps(out), flush=True)
            results.append(out)
            with quiet_enqueue() as held:
                payments = register_payments(tenant, invoices[: args.invoices // 2])
            expected |= {f"{p.invoice.number}-{p.id}" for p in payments}
            out = phase(info, workers, tenant, cid, kind="payment", rows=payments, pushes=held.count,
                        expected=expected, kill=not args.no_kill, mode="connector")
            print(json.dumps(out), flush=True)
            results.append(out)
        finally:
            workers.stop()
        base_tenant, base_cid, customers, projects = setup_company(info, "Drifti Baseline AS")
        with quiet_enqueue() as held:
            sample = issue_invoices(base_tenant, customers, projects, count=min(args.baseline, args.invoices),
                                    lines=args.lines)
        workers = Workers(info, count=args.workers, concurrency=args.concurrency, baseline=True)
        try:
            out = phase(info, workers, base_tenant, base_cid, kind="invoice", rows=sample, pushes=held.count,
                        expected={str(i.number) for i in sample}, kill=False, mode="baseline_reread")
        finally:
            workers.stop()
        print(json.dumps(out), flush=True)
        inv, pay = results
        by_lines = inv["sql_queries_per_invoice_by_lines"]
        print(json.dumps({
            "mode": "targets", "api_calls_per_invoice_max": 3, "api_calls_ok": inv["api_calls_per_item"] <= 3,
            "api_calls_per_invoice_baseline": out["api_calls_per_item"],
            "sql_not_growing_with_lines": by_lines["20"] <= by_lines["1"],
            "exactly_once_ok": all(r["duplicates"] == 0 and r["missing"] == 0 for r in results),
            "under_5_minutes": inv["seconds"] + pay["seconds"] < 300,
            "rss_ok": max(r["peak_rss_mb"] for r in results) < 300,
        }), flush=True)
    finally:
        fake.send_signal(signal.SIGTERM)
        fake.wait(10)
    return 0


def journal_main(args) -> int:
    from django.conf import settings

    from bench import invoice_journal
    from bench.master_sync import Fake

    fake, info = start_fake(0)  # the journal puts the latency on its own company, after the customer import
    settings.TRIPLETEX_BASE_URL, settings.TRIPLETEX_CONSUMER_TOKEN = info["base_url"], info["consumer_token"]
    try:
        line = invoice_journal.journal(Fake(info), args.invoices, args.lines, args.latency_ms)
        print(json.dumps(invoice_journal.as_invoice_line(line)), flush=True)
        print(json.dumps({"mode": "targets", "kind": "journal", **invoice_journal.targets(line)}), flush=True)
    finally:
        fake.send_signal(signal.SIGTERM)
        fake.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
