"""Benchmark: approved hours to Tripletex, batched through the real push path vs one call per entry.

    python -m bench.push_hours --entries 20000 --latency-ms 20

Starts the fake Tripletex with the added latency, makes one company with 200 employees and N approved
entries in a fresh SQLite database, and lets real Celery workers push them (`batched`). Then sends a sample
one entry per call (`naive`) against the same fake, and prints one JSON line per mode and one with the ratio.

This module is also the workers' Celery app (`celery -A bench.push_hours worker`): it counts each task's
SQL queries and writes them where the benchmark can add them up.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _postgres_server(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--postgres" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--postgres="):
            return arg.split("=", 1)[1]
    return None


# Everything below must see the benchmark's own database before Django starts: a scratch PostgreSQL database
# (made here, dropped at the end) with --postgres, else a fresh SQLite file. The workers inherit it.
_SCRATCH = None
if os.environ.get("BENCH_WORKER") != "1" and __name__ == "__main__":
    if _postgres_server(sys.argv[1:]):
        from bench.wizard import _scratch_postgres

        _SCRATCH = _scratch_postgres(_postgres_server(sys.argv[1:]), prefix="bench_hours")
        os.environ["DATABASE_URL"] = _SCRATCH["url"]
    else:
        _DB_DIR = Path(tempfile.mkdtemp(prefix="grjobb-bench-"))
        os.environ["DATABASE_URL"] = f"sqlite:///{_DB_DIR / 'bench.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from celery.signals import task_postrun, task_prerun  # noqa: E402
from django.db import connection  # noqa: E402

from config.celery_app import app  # noqa: E402,F401  (the workers' app)

_counter = {"n": 0}
# With --profile: seconds and count per statement shape, to tell which query a task waits on.
_sql_time: dict[str, list] = {}


def _count(execute, sql, params, many, context):
    _counter["n"] += 1
    if os.environ.get("BENCH_PROFILE") != "1":
        return execute(sql, params, many, context)
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        shape = re.sub(r"\d+", "N", re.sub(r"(%s, )+%s", "%s…", sql))[:160]
        spent = _sql_time.setdefault(shape, [0, 0.0])
        spent[0] += 1
        spent[1] += time.perf_counter() - started


_wrapper = None


# With --profile each worker process profiles its tasks (one profile per process, summed over its tasks) and
# notes when each task ran, so the benchmark can tell time in the tasks from time between them.
_profile = {"profiler": None, "started": 0.0}


@task_prerun.connect
def _start_count(**_kwargs):
    global _wrapper
    _counter["n"] = 0
    _wrapper = connection.execute_wrapper(_count)
    _wrapper.__enter__()
    _profile["started"] = time.time()
    if os.environ.get("BENCH_PROFILE") == "1":
        import cProfile

        if _profile["profiler"] is None:
            _profile["profiler"] = cProfile.Profile()
        _profile["profiler"].enable()


@task_postrun.connect
def _stop_count(**_kwargs):
    global _wrapper
    if _profile["profiler"] is not None:
        _profile["profiler"].disable()
    if _wrapper is not None:
        _wrapper.__exit__(None, None, None)
        _wrapper = None
    out = os.environ.get("BENCH_SQL_DIR")
    if out:
        with open(Path(out) / f"{os.getpid()}.sql", "a") as f:
            f.write(f"{_counter['n']}\n")
        with open(Path(out) / f"{os.getpid()}.tasks", "a") as f:
            f.write(f"{_profile['started']:.4f} {time.time():.4f}\n")
        if _profile["profiler"] is not None:
            (Path(out) / f"{os.getpid()}.sqltime").write_text(json.dumps(_sql_time))
            # Whole or not at all: the benchmark stops the workers at any moment.
            _profile["profiler"].dump_stats(str(Path(out) / f"{os.getpid()}.prof.part"))
            os.replace(Path(out) / f"{os.getpid()}.prof.part", Path(out) / f"{os.getpid()}.prof")


def start_fake(latency_ms: int) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fake_tripletex", "--host", "127.0.0.1", "--port", "0", "--seed", "none"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    info = json.loads(proc.stdout.readline())
    base = info["base_url"][: -len("/v2")]
    import requests

    if latency_ms:
        requests.post(f"{base}/_fake/faults", json={"latency_ms": latency_ms}, timeout=10).raise_for_status()
    return proc, info


def control(info: dict, method: str, path: str, **kwargs):
    import requests

    r = requests.request(method, info["base_url"][: -len("/v2")] + "/_fake/" + path, timeout=120, **kwargs)
    r.raise_for_status()
    return r.json()


def setup_company(info: dict, *, employees: int, entries: int):
    """Our company and the fake's, linked, with `entries` submitted entries on distinct Tripletex keys."""
    import datetime as dt
    from decimal import Decimal

    from django.core.management import call_command
    from django_scopes import scopes_disabled

    from hr.models import Activity, Employee, Project, TimeEntry
    from integrations.models import Connection, Link
    from tenants.models import Tenant

    call_command("migrate", verbosity=0)
    company = control(info, "POST", "companies", json={"name": "Bench AS", "employees": employees, "projects": 4,
                                                       "activities": 4, "applications": ["GrønnJobb"]})
    cid, token = company["id"], company["employee_tokens"]["GrønnJobb"]
    remote_emps = control(info, "GET", f"companies/{cid}/objects/employee")["values"][:employees]
    remote_projects = [p for p in control(info, "GET", f"companies/{cid}/objects/project")["values"]
                       if not p.get("isClosed")][:2]
    remote_acts = [a for a in control(info, "GET", f"companies/{cid}/objects/activity")["values"]
                   if a["activityType"] == "PROJECT_GENERAL_ACTIVITY"][:2]
    with scopes_disabled():
        tenant = Tenant.objects.create(name="Bench AS", org_number=str(uuid.uuid4().int)[:9],
                                       slug=f"bench-{uuid.uuid4().hex[:8]}")
        Connection.objects.create(tenant=tenant, state=Connection.State.ACTIVE, employee_token=token,
                                  tripletex_company_id=cid, tripletex_company_name="Bench AS")
        ours_emps = Employee.objects.bulk_create(
            [Employee(tenant=tenant, first_name=e["firstName"], last_name="B", employee_number=str(i))
             for i, e in enumerate(remote_emps)])
        ours_projects = [Project.objects.create(tenant=tenant, number=str(p["number"]), name=p["name"])
                         for p in remote_projects]
        ours_acts = [Activity.objects.create(tenant=tenant, number=str(a["number"]), name=a["name"])
                     for a in remote_acts]
        links = [Link(tenant=tenant, kind=Link.Kind.EMPLOYEE, local_id=o.id, tripletex_company_id=cid,
                      tripletex_id=r["id"]) for o, r in zip(ours_emps, remote_emps)]
        links += [Link(tenant=tenant, kind=Link.Kind.PROJECT, local_id=o.id, tripletex_company_id=cid,
                       tripletex_id=r["id"]) for o, r in zip(ours_projects, remote_projects)]
        links += [Link(tenant=tenant, kind=Link.Kind.ACTIVITY, local_id=o.id, tripletex_company_id=cid,
                       tripletex_id=r["id"]) for o, r in zip(ours_acts, remote_acts)]
        Link.objects.bulk_create(links)
        per_employee = -(-entries // len(ours_emps))
        start = dt.date(2026, 1, 5)
        rows, expected = [], {}
        for i in range(entries):
            e_index, k = divmod(i, per_employee)
            day, combo = divmod(k, len(ours_projects) * len(ours_acts))
            p_index, a_index = divmod(combo, len(ours_acts))
            date = start + dt.timedelta(days=day)
            hours = Decimal("7.50") if i % 3 else Decimal("4.25")
            rows.append(TimeEntry(tenant=tenant, employee=ours_emps[e_index], date=date, hours=hours,
                                  project=ours_projects[p_index], activity=ours_acts[a_index],
                                  status=TimeEntry.Status.SUBMITTED))
            key = (remote_emps[e_index]["id"], date.isoformat(), remote_projects[p_index]["id"],
                   remote_acts[a_index]["id"])
            expected[key] = expected.get(key, Decimal(0)) + hours
        TimeEntry.objects.bulk_create(rows, batch_size=2000)
    return tenant, cid, expected


def check_remote(info: dict, cid: int, expected: dict) -> tuple[int, int]:
    from decimal import Decimal

    seen: dict = {}
    duplicates = 0
    for e in control(info, "GET", f"companies/{cid}/objects/timesheet_entry")["values"]:
        key = (e["employee"]["id"], e["date"], e["project"]["id"], e["activity"]["id"])
        if key in seen:
            duplicates += 1
        seen[key] = seen.get(key, Decimal(0)) + Decimal(str(e["hours"]))
    duplicates += sum(1 for k, h in seen.items() if k in expected and h > expected[k])
    duplicates += sum(1 for k in seen if k not in expected)
    missing = sum(1 for k, h in expected.items() if seen.get(k, Decimal(0)) < h)
    return duplicates, missing


def peak_rss_mb(pids: list[int]) -> float:
    """Largest peak resident size (VmHWM) among the given processes and their children."""
    peak = 0
    todo = list(pids)
    while todo:
        pid = todo.pop()
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return round(peak / 1024, 1)


def run_batched(info: dict, *, entries: int, employees: int, workers: int, concurrency: int,
                profile: bool = False) -> dict:
    from django.db import transaction
    from django_scopes import scope, scopes_disabled

    from hr.models import TimeEntry
    from hr.services import time_entries_approve
    from integrations.models import HourTransfer
    from tenants.models import User

    tenant, cid, expected = setup_company(info, employees=employees, entries=entries)
    queue = f"bench-hours-{uuid.uuid4().hex[:8]}"
    sql_dir = Path(tempfile.mkdtemp(prefix="grjobb-bench-sql-"))
    from django.conf import settings

    env = {**os.environ, "BENCH_WORKER": "1", "BENCH_SQL_DIR": str(sql_dir), "HOURS_QUEUE": queue,
           "TRIPLETEX_BASE_URL": info["base_url"], "TRIPLETEX_CONSUMER_TOKEN": info["consumer_token"],
           "SECRET_KEY": settings.SECRET_KEY, "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
           "LOG_LEVEL": "WARNING", "BENCH_PROFILE": "1" if profile else "0"}
    settings.HOURS_QUEUE = queue
    settings.TRIPLETEX_BASE_URL, settings.TRIPLETEX_CONSUMER_TOKEN = info["base_url"], info["consumer_token"]
    procs = []
    for n in range(workers):
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "bench.push_hours", "worker", "-Q", queue, "--pool=prefork",
             f"--concurrency={concurrency}", "-n", f"bench{n}-{queue}@%h", "--without-mingle", "--without-gossip",
             "--without-heartbeat", "-l", "WARNING"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
    time.sleep(4)  # let the workers come up before the clock starts
    control(info, "DELETE", "calls")
    approver = User.objects.create_user(email=f"bench-{uuid.uuid4().hex[:6]}@example.no")
    approve_started = time.monotonic()
    try:
        with scopes_disabled():
            ids = list(TimeEntry.objects.filter(tenant=tenant).order_by("id").values_list("id", flat=True))
        # Bulk approvals of a thousand at a time, each enqueueing a push on commit; committed together so
        # the clock measures the push (tasks, broker, workers, Tripletex), not the approvals.
        with scope(tenant=tenant), transaction.atomic():
            for i in range(0, len(ids), 1000):
                time_entries_approve(tenant=tenant, entries=TimeEntry.objects.filter(id__in=ids[i:i + 1000]),
                                     by=approver)
            approve_seconds = time.monotonic() - approve_started
        started, started_at = time.monotonic(), time.time()
        deadline = started + 900
        with scopes_disabled():
            while time.monotonic() < deadline:
                if not HourTransfer.objects.filter(tenant=tenant).exclude(state=HourTransfer.State.SENT).exists():
                    break
                time.sleep(0.2)
        seconds = time.monotonic() - started
        rss = peak_rss_mb([p.pid for p in procs] + [os.getpid()])
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
    calls = control(info, "GET", "calls", params={"company_id": cid})["calls"]
    duplicates, missing = check_remote(info, cid, expected)
    per_task = [int(x) for f in sql_dir.glob("*.sql") for x in f.read_text().split()]
    batches = calls.get("POST /timesheet/entry/list", 0)
    if profile:
        _report_profile(sql_dir, started_at=started_at, seconds=seconds)
    return {
        "mode": "batched", "entries": entries, "api_calls": sum(calls.values()), "seconds": round(seconds, 2),
        "approve_seconds": round(approve_seconds, 2), "entries_per_s": round(entries / seconds, 1),
        "sql_queries": sum(per_task), "batches": batches,
        "sql_queries_per_batch": round(sum(per_task) / batches, 1) if batches else None,
        "duplicates": duplicates, "missing": missing, "peak_rss_mb": rss,
    }


def _report_profile(sql_dir: Path, *, started_at: float, seconds: float) -> None:
    """On stderr: how the workers spent the push (in tasks or between them), and their summed profile."""
    import pstats

    spans = sorted(tuple(map(float, line.split())) for f in sql_dir.glob("*.tasks")
                   for line in f.read_text().splitlines())
    busy = sum(end - start for start, end in spans)
    for start, end in spans:
        print(f"task {start - started_at:7.2f} .. {end - started_at:7.2f}", file=sys.stderr)
    print(json.dumps({"measure": "tasks", "database": connection.vendor, "tasks": len(spans), "first_task_after_s": round(spans[0][0] - started_at, 2),
                      "last_task_end_s": round(max(e for _s, e in spans) - started_at, 2),
                      "busy_worker_seconds": round(busy, 2), "wall_seconds": round(seconds, 2)}),
          file=sys.stderr, flush=True)
    by_shape: dict[str, list] = {}
    for f in sql_dir.glob("*.sqltime"):
        for shape, (n, spent) in json.loads(f.read_text()).items():
            total = by_shape.setdefault(shape, [0, 0.0])
            total[0] += n
            total[1] += spent
    for shape, (n, spent) in sorted(by_shape.items(), key=lambda kv: -kv[1][1])[:15]:
        print(f"sql {spent:7.2f} s {n:5d}×  {shape}", file=sys.stderr)
    stats = pstats.Stats(*[str(f) for f in sql_dir.glob("*.prof")], stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(40)


def sql_per_batch_by_size(info: dict) -> dict:
    """The same push in this process at two batch sizes: queries per batch must not grow with the batch."""
    from django.conf import settings
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext
    from django_scopes import scope, scopes_disabled

    from hr.models import TimeEntry
    from integrations.hours import push

    out = {}
    batch_size = settings.HOURS_BATCH_SIZE
    for size in (50, 200):
        tenant, _cid, _expected = setup_company(info, employees=20, entries=size)
        settings.HOURS_BATCH_SIZE = size
        with scopes_disabled():
            entries = TimeEntry.objects.filter(tenant=tenant)
        with scope(tenant=tenant):
            _approve_without_task(tenant, entries)
            with CaptureQueriesContext(conn) as ctx:
                outcome = push.hours_push_pending(tenant=tenant, max_batches=1)
        assert outcome.rows == size, outcome
        out[str(size)] = len(ctx.captured_queries)
    settings.HOURS_BATCH_SIZE = batch_size
    return out


def _approve_without_task(tenant, entries) -> None:
    """Approved plus outbox rows, but no task on a queue nobody reads: the caller pushes in this process."""
    from hr.models import TimeEntry
    from integrations.hours import outbox

    ids = list(entries.values_list("id", flat=True))
    TimeEntry.objects.filter(id__in=ids).update(status=TimeEntry.Status.APPROVED)
    outbox.hour_transfers_record_approved(tenant=tenant, entry_ids=ids)


def run_naive(info: dict, *, sample: int) -> dict:
    """One POST /timesheet/entry per entry and one UPDATE per row: what a push without batching does."""
    from django_scopes import scope, scopes_disabled

    from hr.models import TimeEntry
    from integrations.clients import pooled_client_for_connection
    from integrations.models import Connection, HourTransfer, Link

    tenant, cid, expected = setup_company(info, employees=20, entries=sample)
    with scopes_disabled():
        entries = TimeEntry.objects.filter(tenant=tenant)
    with scope(tenant=tenant):
        _approve_without_task(tenant, entries)
        connection = Connection.objects.get(tenant=tenant)
        client = pooled_client_for_connection(connection)
        links = {(k, lid): tid for k, lid, tid in Link.objects.filter(tenant=tenant).values_list(
            "kind", "local_id", "tripletex_id")}
        control(info, "DELETE", "calls")
        started = time.monotonic()
        for row in HourTransfer.objects.filter(tenant=tenant).select_related("slot"):
            s = row.slot
            created = client.timesheet_entry_create({
                "employee": {"id": links[("employee", s.employee_id)]}, "project": {"id": links[("project", s.project_id)]},
                "activity": {"id": links[("activity", s.activity_id)]}, "date": s.date.isoformat(), "hours": row.hours,
            })
            HourTransfer.objects.filter(id=row.id).update(state=HourTransfer.State.SENT)
            type(s).objects.filter(id=s.id).update(tripletex_id=created["id"], tripletex_version=created["version"])
        seconds = time.monotonic() - started
    calls = control(info, "GET", "calls", params={"company_id": cid})["calls"]
    duplicates, missing = check_remote(info, cid, expected)
    return {"mode": "naive", "entries": sample, "api_calls": sum(calls.values()), "seconds": round(seconds, 2),
            "entries_per_s": round(sample / seconds, 1), "duplicates": duplicates, "missing": missing}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.push_hours", description=__doc__.split("\n\n")[0])
    ap.add_argument("--entries", type=int, default=20000)
    ap.add_argument("--employees", type=int, default=200)
    ap.add_argument("--latency-ms", type=int, default=20)
    ap.add_argument("--naive-sample", type=int, default=500, help="entries the one-call-per-entry baseline sends")
    ap.add_argument("--workers", type=int, default=1, help="worker processes")
    ap.add_argument("--concurrency", type=int, default=4, help="pool size per worker")
    ap.add_argument("--postgres", metavar="URL",
                    help="run on a scratch database made (and dropped) on this PostgreSQL server instead of a "
                         "temporary SQLite file, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--profile", action="store_true",
                    help="profile the workers' tasks (cProfile) and print where their time went on stderr")
    args = ap.parse_args(argv)
    fake, info = start_fake(args.latency_ms)
    try:
        batched = run_batched(info, entries=args.entries, employees=args.employees, workers=args.workers,
                              concurrency=args.concurrency, profile=args.profile)
        # The floor: every call one after the other, each costing only the added latency.
        floor = batched["api_calls"] * args.latency_ms / 1000
        batched.update(database=connection.vendor, latency_floor_s=round(floor, 2),
                       times_floor=round(batched["seconds"] / floor, 1) if floor else None)
        batched["sql_queries_per_batch_by_size"] = sql_per_batch_by_size(info)
        print(json.dumps(batched), flush=True)
        naive = run_naive(info, sample=min(args.naive_sample, args.entries))
        print(json.dumps(naive), flush=True)
        ratio = batched["entries_per_s"] / naive["entries_per_s"]
        print(json.dumps({"mode": "ratio", "throughput_batched_over_naive": round(ratio, 1),
                          "api_calls_target": args.entries // 200 + 10,
                          "api_calls_ok": batched["api_calls"] <= args.entries // 200 + 10,
                          "throughput_ok": ratio >= 30, "rss_ok": batched["peak_rss_mb"] < 300,
                          "exactly_once_ok": batched["duplicates"] == 0 and batched["missing"] == 0}), flush=True)
    finally:
        fake.send_signal(signal.SIGTERM)
        fake.wait(10)
        if _SCRATCH:
            from django.db import connections

            from bench.wizard import _drop_postgres

            connections.close_all()
            _drop_postgres(_SCRATCH)
    return 0


if __name__ == "__main__":
    sys.exit(main())
