"""Benchmark the activation wizard on a big Tripletex company, beside a company 10× smaller in the same run.

Run: ``python -m bench.wizard [--employees 10000 --projects 5000 --wage-types 300] [--pages 7]``.

Starts the fake Tripletex, sets Django up on a temporary SQLite database, and for each company: checks the
token (step 1), runs the three fetches (the task bodies, each in a thread like a worker, its progress rows
sampled from here), renders list pages server-side with Django's test Client, selects everything and times
Ferdigstill while counting its SQL queries. Prints one JSON line per measurement.

Targets: list page median < 300 ms, Ferdigstill < 10 s, Ferdigstill's query count not growing with rows.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("project", "wage_type", "employee")
TARGETS = {"list_page_ms": 300, "finish_seconds": 10}


def emit(**fields) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def start_fake() -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen([sys.executable, "-m", "fake_tripletex", "--host", "127.0.0.1", "--port", "0",
                             "--seed", "none"], cwd=ROOT, stdout=subprocess.PIPE, text=True, encoding="utf-8")
    line = proc.stdout.readline()
    if not line.strip():
        proc.kill()
        raise SystemExit("the fake Tripletex did not start")
    return proc, json.loads(line)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


def setup_django(var_dir: str, info: dict, database_url: str | None) -> None:
    os.environ["GRJOBB_VAR_DIR"] = var_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["TRIPLETEX_BASE_URL"] = info["base_url"]
    os.environ["TRIPLETEX_CONSUMER_TOKEN"] = info["consumer_token"]
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER"):
        os.environ.pop(name, None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)  # the client logs every call at INFO; keep the output to the JSON lines
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test Client's host is allowed
    call_command("migrate", verbosity=0)


class Run:
    """One company through the wizard: a tenant and admin of ours, a Tripletex company of the fake's."""

    def __init__(self, label: str, company: dict, n: int):
        from django_scopes import scopes_disabled

        from tenants.models import Membership, Tenant, User

        self.label = label
        self.company = company
        with scopes_disabled():
            self.tenant = Tenant.objects.create(name=f"Bench {label} AS", org_number=_org_number(n), slug=f"bench-{label}")
            self.admin = User.objects.create_user(f"admin-{label}@bench.no", "pw-12345678", first_name="Admin")
            Membership.objects.create(user=self.admin, tenant=self.tenant, role=Membership.Role.ADMIN)

    def step1(self) -> None:
        from django_scopes import scope

        from wizard import services, tasks

        queued: list[dict] = []
        original = tasks.wizard_fetch.delay
        tasks.wizard_fetch.delay = lambda **kwargs: queued.append(kwargs)  # we are the worker here
        try:
            t = time.perf_counter()
            with scope(tenant=self.tenant):
                self.draft = services.draft_check_token(
                    tenant=self.tenant, by=self.admin, token=self.company["employee_tokens"]["GrønnJobb"])
            seconds = time.perf_counter() - t
        finally:
            tasks.wizard_fetch.delay = original
        self.queued = queued
        emit(run=self.label, measure="step1_check", seconds=round(seconds, 3),
             tripletex_company=self.draft.tripletex_company_name)

    def fetch(self, kind: str) -> None:
        from django.db import connection
        from django_scopes import scope

        from wizard import services
        from wizard.models import Fetch

        fetch = Fetch.objects.get(draft=self.draft, kind=kind)
        job = next(q for q in self.queued if q["fetch_id"] == fetch.id)
        failure: list[BaseException] = []

        def worker():
            try:
                with scope(tenant=self.tenant):
                    services.fetch_run(**job)
            except BaseException as exc:  # reported below
                failure.append(exc)
            finally:
                connection.close()

        thread = threading.Thread(target=worker)
        samples = []
        t = time.perf_counter()
        thread.start()
        while thread.is_alive():
            row = Fetch.objects.filter(id=fetch.id).values("status", "fetched", "total").first()
            samples.append([round(time.perf_counter() - t, 2), row["fetched"], row["total"], row["status"]])
            thread.join(0.05)
        seconds = time.perf_counter() - t
        if failure:
            raise failure[0]
        fetch.refresh_from_db()
        samples.append([round(seconds, 2), fetch.fetched, fetch.total, fetch.status])
        counts = _action_counts(self.draft, kind)
        emit(run=self.label, measure="fetch", kind=kind, fetch_seconds=round(seconds, 3), status=fetch.status,
             items=sum(counts.values()), actions=counts, progress_samples=_thin(samples, 12),
             progress_advances=_advances(samples))

    def list_pages(self, pages: int) -> None:
        from django.test import Client

        client = Client()
        client.force_login(self.admin)
        session = client.session
        session["tenant_id"] = self.tenant.id
        session.save()
        for slug, kind, query in (("prosjekter", "project", "bygg"), ("ansatte", "employee", "hansen")):
            from wizard.models import Item

            n_pages = max(1, -(-Item.objects.filter(draft=self.draft, kind=kind).count() // 50))
            urls = [f"/tripletex/aktivering/{slug}/"]
            urls += [f"/tripletex/aktivering/{slug}/?side={p}" for p in _spread(n_pages, pages)]
            urls += [f"/tripletex/aktivering/{slug}/?q={query}", f"/tripletex/aktivering/{slug}/?q={query}&side=2",
                     f"/tripletex/aktivering/{slug}/?show=skip"]
            client.get(urls[0])  # warm-up: templates, translations
            times = []
            for url in urls:
                t = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t) * 1000)
                if response.status_code != 200 or b'id="item-list"' not in response.content:
                    raise SystemExit(f"GET {url} -> {response.status_code}, no list")
            median = statistics.median(times)
            emit(run=self.label, measure="list_page", step=slug, requests=len(urls), list_page_ms=round(median, 1),
                 max_ms=round(max(times), 1), target_ms=TARGETS["list_page_ms"],
                 ok=median < TARGETS["list_page_ms"])

    def finish(self) -> dict:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django_scopes import scope

        from hr.models import Employee, Project, WageType
        from integrations.models import Connection
        from wizard import services

        with scope(tenant=self.tenant):
            for kind in KINDS:
                services.items_select(draft=self.draft, kind=kind, selected=True)
            chosen = {k: self.draft.items.filter(kind=k, selected=True).count() for k in KINDS}
            with CaptureQueriesContext(connection) as queries:
                t = time.perf_counter()
                run = services.draft_finish(
                    tenant=self.tenant, by=self.admin, draft_id=self.draft.id, send_hours=services.SEND_ALL,
                )
                seconds = time.perf_counter() - t
            connection_row = Connection.objects.get(tenant=self.tenant)
            created = {"project": Project.objects.filter(tenant=self.tenant).count(),
                       "wage_type": WageType.objects.filter(tenant=self.tenant).count(),
                       "employee": Employee.objects.filter(tenant=self.tenant).count()}
        result = {"finish_seconds": round(seconds, 3), "finish_sql_queries": len(queries),
                  "finish_sql_by_statement": _by_statement(queries.captured_queries),
                  "chosen": chosen, "created": created, "rows": sum(chosen.values())}
        emit(run=self.label, measure="finish", **result, connection_active=connection_row.is_active,
             run_summary=run.summary, target_seconds=TARGETS["finish_seconds"],
             ok=seconds < TARGETS["finish_seconds"])
        return result


def _action_counts(draft, kind) -> dict:
    from django.db.models import Count

    from wizard.models import Item

    rows = Item.objects.filter(draft=draft, kind=kind).values("action").annotate(n=Count("id"))
    return {r["action"]: r["n"] for r in rows}


def _by_statement(captured: list[dict]) -> dict:
    """Query count per verb and table, so a count that grows shows where."""
    import re
    from collections import Counter

    counts = Counter()
    for q in captured:
        sql = q["sql"]
        verb = sql.split(None, 1)[0].upper()
        table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.I)
        counts[f"{verb} {table.group(1) if table else ''}".strip()] += 1
    return dict(counts.most_common())


def _thin(samples: list, keep: int) -> list:
    if len(samples) <= keep:
        return samples
    step = (len(samples) - 1) / (keep - 1)
    return [samples[round(i * step)] for i in range(keep)]


def _advances(samples: list) -> bool:
    """The progress rows moved through intermediate values before the fetch was done."""
    running = [s[1] for s in samples if s[3] == "running"]
    return len(set(running)) > 1 and running == sorted(running)


def _spread(n_pages: int, k: int) -> list[int]:
    if n_pages <= k:
        return list(range(1, n_pages + 1))
    return sorted({1 + round(i * (n_pages - 1) / (k - 1)) for i in range(k)})


def _org_number(seed: int) -> str:
    from tenants.validators import is_valid_org_number

    n = 910000000 + seed * 1000
    while not is_valid_org_number(str(n)):
        n += 1
    return str(n)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--employees", type=int, default=10000)
    ap.add_argument("--projects", type=int, default=5000)
    ap.add_argument("--wage-types", type=int, default=300)
    ap.add_argument("--pages", type=int, default=7, help="list pages spread over each list, besides searches")
    ap.add_argument("--postgres", metavar="URL",
                    help="run on a scratch database made (and dropped) on this PostgreSQL server instead of a "
                         "temporary SQLite file, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args(argv)

    proc, info = start_fake()
    var_dir = tempfile.mkdtemp(prefix="bench-wizard-")
    scratch = _scratch_postgres(args.postgres) if args.postgres else None
    try:
        control = info["base_url"][: -len("/v2")] + "/_fake"
        sizes = {"employees": args.employees, "projects": args.projects, "wage_types": args.wage_types,
                 "customers": 10, "suppliers": 2, "products": 2, "activities": 4}
        small = {k: max(1, v // 10) if k in ("employees", "projects", "wage_types") else v for k, v in sizes.items()}
        companies = {}
        for label, size in (("big", sizes), ("baseline", small)):
            t = time.perf_counter()
            r = requests.post(f"{control}/companies", json={"name": f"Bench {label} AS", **size}, timeout=120)
            r.raise_for_status()
            companies[label] = r.json()
            emit(run=label, measure="fake_company", sizes={k: size[k] for k in ("employees", "projects", "wage_types")},
                 seconds=round(time.perf_counter() - t, 3))
        setup_django(var_dir, info, scratch["url"] if scratch else None)
        from django.db import connection

        emit(measure="database", vendor=connection.vendor, name=str(connection.settings_dict["NAME"]))

        from django_scopes import scopes_disabled

        results = {}
        for i, label in enumerate(("big", "baseline")):
            with scopes_disabled():  # the bench reads rows of its own; services and requests enter their scope
                run = Run(label, companies[label], i + 1)
                run.step1()
                for kind in KINDS:
                    run.fetch(kind)
                run.list_pages(args.pages)
                results[label] = run.finish()

        big, base = results["big"], results["baseline"]
        by_big, by_base = big["finish_sql_by_statement"], base["finish_sql_by_statement"]
        # Statements whose count moved between the runs are the bulk batches; the rest is the fixed part.
        batched = sorted(k for k in set(by_big) | set(by_base) if by_big.get(k) != by_base.get(k))
        batched_big = sum(by_big.get(k, 0) for k in batched)
        emit(measure="finish_scaling", rows_big=big["rows"], rows_baseline=base["rows"],
             finish_sql_queries_big=big["finish_sql_queries"], finish_sql_queries_baseline=base["finish_sql_queries"],
             fixed_queries=big["finish_sql_queries"] - batched_big, batched_statements=batched,
             chosen_rows_per_batched_query_big=round(big["rows"] / max(1, batched_big), 1),
             per_row_queries=big["finish_sql_queries"] >= big["rows"],
             seconds_per_1000_rows_big=round(1000 * big["finish_seconds"] / max(1, big["rows"]), 3),
             seconds_per_1000_rows_baseline=round(1000 * base["finish_seconds"] / max(1, base["rows"]), 3),
             same_query_count=big["finish_sql_queries"] <= base["finish_sql_queries"] * 1.1)
    finally:
        stop(proc)
        if scratch:
            from django.db import connections

            connections.close_all()
            _drop_postgres(scratch)
    return 0


def _scratch_postgres(server_url: str, prefix: str = "bench_wizard") -> dict:
    import psycopg
    from urllib.parse import urlsplit, urlunsplit

    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server_url)
    return {"server": server_url, "name": name, "url": urlunsplit(parts._replace(path=f"/{name}"))}


def _drop_postgres(scratch: dict) -> None:
    import psycopg

    with psycopg.connect(scratch["server"], autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch["name"]}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
