"""Benchmark: products, customers and suppliers changed here, pushed to Tripletex at once (seed 003).

    python -m bench.realtime_push --changes 5000 --latency-ms 20

Starts the fake Tripletex with the added latency and real Celery workers, makes 10 companies in a fresh
SQLite database, each connected to its own empty Tripletex company with "Varer, kunder og leverandører" on,
then makes N changes across them through the services the pages use, at `--rate` changes a second: each
record is created and then, for some, changed once or twice more right after (quick successive edits).
Every change names its record's version in the name; a poller reads the fake every 0.2 s and times each
change from its commit to the first moment the fake holds that version or a later one.

Prints one JSON line: `changes`, `records` (distinct records changed), `records_sent` (creates and
updates of those records in the fake), `api_calls` (all calls to the fake), `p50_s`, `p99_s`, `max_s`,
`duplicates` (extra objects with one of our numbers), `missing` (records whose latest version never
arrived); in it `baseline`, the same measured in the same run on a sample with every record looked up by
number on its own (no batched lookup), and `targets`: p99 < 60 s, records_sent == records, 0 duplicates,
0 missing, fewer calls per record than the baseline.

This module is also the workers' Celery app (`celery -A bench.realtime_push worker`).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _option(name: str) -> str | None:
    """A command-line option read before Django starts (the database and broker are settings)."""
    argv = sys.argv[1:]
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


_SCRATCH = None
if os.environ.get("BENCH_WORKER") != "1" and __name__ == "__main__":
    _DIR = Path(tempfile.mkdtemp(prefix="grjobb-bench-realtime-"))
    os.environ["GRJOBB_VAR_DIR"] = str(_DIR)
    if _option("--postgres"):
        from bench.wizard import _scratch_postgres

        _SCRATCH = _scratch_postgres(_option("--postgres"), prefix="grjobb_invpush_bench")
        os.environ["DATABASE_URL"] = _SCRATCH["url"]
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{_DIR / 'bench.sqlite3'}"
    if _option("--broker"):
        os.environ["CELERY_BROKER_URL"] = _option("--broker")
    os.environ["BENCH_QUEUE"] = f"bench-realtime-{uuid.uuid4().hex[:8]}"
    os.environ["CONNECTORS_QUEUE"] = os.environ["BENCH_QUEUE"]  # the pushes are connector tasks: to its workers
    os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from bench.push_hours import control, start_fake  # noqa: E402
from config.celery_app import app  # noqa: E402

if os.environ.get("BENCH_QUEUE"):
    app.conf.task_default_queue = os.environ["BENCH_QUEUE"]

if os.environ.get("BENCH_WORKER") == "1" and os.environ.get("BENCH_BASELINE") == "1":
    from integrations.connectors.inventory import push as _push

    _push.LOOKUP_BATCH = 1  # the baseline: every record looked up by number on its own

TENANTS = 10
KINDS = ("product", "customer", "supplier")
# Changes per record, in turn: most records are changed once, some two or three times in quick succession.
BURSTS = (1, 1, 2, 1, 3, 1, 2)
POLL_S = 0.2


class Workers:
    def __init__(self, info: dict, *, count: int, concurrency: int, baseline: bool):
        from django.conf import settings

        self.env = {**os.environ, "BENCH_WORKER": "1", "BENCH_BASELINE": "1" if baseline else "0",
                    "TRIPLETEX_BASE_URL": info["base_url"], "TRIPLETEX_CONSUMER_TOKEN": info["consumer_token"],
                    "SECRET_KEY": settings.SECRET_KEY,
                    "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS), "LOG_LEVEL": "WARNING"}
        self.procs = [subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "bench.realtime_push", "worker", "-Q", os.environ["BENCH_QUEUE"],
             "--pool=prefork", f"--concurrency={concurrency}", "-n", f"rt{n}-{uuid.uuid4().hex[:6]}@%h",
             "--without-mingle", "--without-gossip", "--without-heartbeat", "-l", "WARNING"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            for n in range(count)]
        time.sleep(4)  # let them come up before the clock starts

    def stop(self) -> None:
        for p in self.procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def setup_tenants(info: dict, label: str) -> list[tuple]:
    from django_scopes import scopes_disabled

    from integrations.models import Connection, ConnectorConfig
    from tenants.models import Tenant

    out = []
    with scopes_disabled():
        for i in range(TENANTS):
            name = f"Rackbeat {label} {i} AS"
            company = control(info, "POST", "companies", json={
                "name": name, "employees": 1, "projects": 0, "customers": 0, "suppliers": 0, "products": 0,
                "applications": ["GrønnJobb"]})
            tenant = Tenant.objects.create(name=name, org_number=str(uuid.uuid4().int)[:9],
                                           slug=f"rt-{uuid.uuid4().hex[:8]}")
            Connection.objects.create(tenant=tenant, state=Connection.State.ACTIVE,
                                      employee_token=company["employee_tokens"]["GrønnJobb"],
                                      tripletex_company_id=company["id"], tripletex_company_name=name)
            ConnectorConfig.objects.create(tenant=tenant, name="inventory", enabled=True)
            out.append((tenant, company["id"]))
    return out


class Record:
    __slots__ = ("tenant_index", "kind", "number", "row", "versions", "latest")

    def __init__(self, tenant_index: int, kind: str, number: str):
        self.tenant_index, self.kind, self.number, self.row = tenant_index, kind, number, None
        self.versions: list[tuple[int, float]] = []  # (version, committed at), not yet seen in the fake
        self.latest = 0


def _change(tenant, record: Record) -> None:
    """One change through the service the page uses; the version is in the name."""
    from django_scopes import scope

    from commerce import services
    from hr import services as hr_services

    record.latest += 1
    name = f"{record.kind} {record.number} v{record.latest}"
    with scope(tenant=tenant):
        if record.kind == "product":
            data = {"name": name} if record.row else {"number": record.number, "name": name}
            record.row = services.product_save(tenant=tenant, data=data, product=record.row)
        elif record.kind == "supplier":
            data = {"name": name} if record.row else {"supplier_number": record.number, "name": name}
            record.row = services.supplier_save(tenant=tenant, data=data, supplier=record.row)
        elif record.row is None:
            record.row = hr_services.customer_create(tenant=tenant, name=name, customer_number=record.number)
        else:
            record.row = hr_services.customer_update(tenant=tenant, customer=record.row, data={"name": name})
    record.versions.append((record.latest, time.monotonic()))


class Poller(threading.Thread):
    """Reads what the fake holds and times every change until the fake has its version (or a later one)."""

    def __init__(self, info: dict, tenants: list[tuple], records: dict):
        super().__init__(daemon=True)
        self.info, self.tenants, self.records = info, tenants, records
        self.latencies: list[float] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.poll()
            time.sleep(POLL_S)

    def poll(self) -> dict:
        """{(tenant index, kind): Counter of numbers} as the fake holds them now, and the changes timed."""
        counts = {}
        for index, (_tenant, cid) in enumerate(self.tenants):
            for kind in KINDS:
                values = control(self.info, "GET", f"companies/{cid}/objects/{kind}")["values"]
                now = time.monotonic()
                counts[(index, kind)] = Counter(str(v.get(_NUMBER[kind])) for v in values)
                for v in values:
                    record = self.records.get((index, kind, str(v.get(_NUMBER[kind]))))
                    if record is None:
                        continue
                    seen = int(str(v.get("name", "v0")).rsplit("v", 1)[-1] or 0)
                    with self.lock:
                        while record.versions and record.versions[0][0] <= seen:
                            self.latencies.append(now - record.versions.pop(0)[1])
        return counts

    def done(self) -> bool:
        with self.lock:
            return all(not r.versions for r in self.records.values())


_NUMBER = {"product": "number", "customer": "customerNumber", "supplier": "supplierNumber"}


def _calls(info: dict, tenants: list[tuple]) -> tuple[int, int]:
    """(all calls, creates and updates of products, customers and suppliers) to the fake for these companies."""
    total = sent = 0
    for _tenant, cid in tenants:
        calls = control(info, "GET", "calls", params={"company_id": cid})["calls"]
        total += sum(calls.values())
        sent += sum(n for k, n in calls.items() if k.split()[0] in ("POST", "PUT")
                    and k.split()[1].split("/")[1] in KINDS)
    return total, sent


def run(info: dict, *, label: str, changes: int, rate: float, workers: int, concurrency: int, baseline: bool,
        timeout: float) -> dict:
    tenants = setup_tenants(info, label)
    control(info, "DELETE", "calls")
    records: dict[tuple, Record] = {}
    pool = Workers(info, count=workers, concurrency=concurrency, baseline=baseline)
    poller = Poller(info, tenants, records)
    try:
        poller.start()
        started, made, n = time.monotonic(), 0, 0
        while made < changes:
            index, kind = n % TENANTS, KINDS[(n // TENANTS) % len(KINDS)]
            number = {"product": f"P{n}", "customer": str(100000 + n), "supplier": str(200000 + n)}[kind]
            record = Record(index, kind, number)
            records[(index, kind, number)] = record
            for _ in range(min(BURSTS[n % len(BURSTS)], changes - made)):
                _change(tenants[index][0], record)
                made += 1
                # Paced: the n-th change is not made before n / rate seconds.
                ahead = started + made / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            n += 1
        making = time.monotonic() - started
        deadline = time.monotonic() + timeout
        while not poller.done() and time.monotonic() < deadline:
            time.sleep(POLL_S)
        poller.stopping.set()
        poller.join(10)
        counts = poller.poll()
    finally:
        pool.stop()
    ours = {(r.tenant_index, r.kind): set() for r in records.values()}
    for r in records.values():
        ours[(r.tenant_index, r.kind)].add(r.number)
    duplicates = sum(n - 1 for key, counter in counts.items() for number, n in counter.items()
                     if number in ours.get(key, ()) and n > 1)
    duplicates += sum(n for key, counter in counts.items() for number, n in counter.items()
                      if number not in ours.get(key, ()))
    missing = sum(1 for r in records.values() if r.versions)
    api_calls, sent = _calls(info, tenants)
    lat = sorted(poller.latencies)
    return {
        "mode": "baseline_lookup_each" if baseline else "connector", "changes": changes, "records": len(records),
        "records_sent": sent, "api_calls": api_calls, "api_calls_per_record": round(api_calls / len(records), 3),
        "p50_s": round(statistics.median(lat), 2) if lat else None,
        "p99_s": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 2) if lat else None,
        "max_s": round(lat[-1], 2) if lat else None, "duplicates": duplicates, "missing": missing,
        "making_changes_s": round(making, 1), "tenants": TENANTS,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.realtime_push", description=__doc__.split("\n\n")[0])
    ap.add_argument("--changes", type=int, default=5000)
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--rate", type=float, default=200.0, help="changes made per second")
    ap.add_argument("--baseline", type=int, default=500, help="changes in the look-up-each-record baseline")
    ap.add_argument("--workers", type=int, default=2, help="worker processes")
    ap.add_argument("--concurrency", type=int, default=2, help="pool size per worker")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds to wait after the last change")
    ap.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to make a scratch database on, as CI "
                    "runs, instead of a temporary SQLite file, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--broker", metavar="URL", help="the Celery broker (default: the filesystem broker), "
                    "e.g. redis://127.0.0.1:6379/3")
    args = ap.parse_args(argv)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    fake, info = start_fake(args.latency_ms)
    try:
        out = run(info, label="push", changes=args.changes, rate=args.rate, workers=args.workers,
                  concurrency=args.concurrency, baseline=False, timeout=args.timeout)
        out["latency_ms"] = args.latency_ms
        base = run(info, label="baseline", changes=min(args.baseline, args.changes), rate=args.rate,
                   workers=args.workers, concurrency=args.concurrency, baseline=True, timeout=args.timeout)
        out["baseline"] = base
        out["targets"] = {
            "p99_under_60_s": out["p99_s"] is not None and out["p99_s"] < 60,
            "latest_state_once": out["records_sent"] == out["records"],
            "exactly_once": out["duplicates"] == 0 and out["missing"] == 0,
            "fewer_calls_than_baseline": out["api_calls_per_record"] < base["api_calls_per_record"],
        }
        print(json.dumps(out), flush=True)
    finally:
        fake.send_signal(signal.SIGTERM)
        fake.wait(10)
        if _SCRATCH is not None:
            from django.db import connections

            connections.close_all()
            from bench.wizard import _drop_postgres

            _drop_postgres(_SCRATCH)
    return 0


if __name__ == "__main__":
    sys.exit(main())
