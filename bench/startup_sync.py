"""Benchmark seed 003's start-up sync (Tripletex → here, once) against a big Tripletex company.

Run: ``python -m bench.startup_sync [--scale 1 4] [--postgres URL]``.

Per scale (1× = 2,000 customers, 300 suppliers, 2,000 products and 100 employees in the fake Tripletex, our
side empty), the inventory connector switched on and every kind chosen:

- ``first``: the copy that creates everything here, links it and invites the employees;
- ``baseline_again``: the same copy run again, which must create nothing (every object "Uendret"): what a
  second click costs, and the floor of the first run's time (reading, matching and logging without writing).

One JSON line per phase with ``phase``, ``scale``, ``seconds``, ``objects`` (log records), ``api_calls`` (the
fake's count for the company), ``sql_queries``, ``created`` and ``invitations``, then a ``targets`` line.
Targets: the first copy at 1× in under 60 s; API calls a handful per kind (pages of 1,000), not per object;
the second run creates nothing and sends no invitation.
"""
from __future__ import annotations

import argparse
import tempfile
import time

import requests

from bench.wizard import _drop_postgres, _scratch_postgres, emit, setup_django, start_fake
from bench.wizard import stop as stop_fake

SIZES = {"customers": 2000, "suppliers": 300, "products": 2000, "employees": 100}
TARGET_FIRST_SECONDS = 60


def _company(info: dict, n: int) -> dict:
    control = info["base_url"][: -len("/v2")] + "/_fake"
    body = {"name": f"Oppstart {n}x AS", "applications": ["GrønnJobb"], "projects": 1, "wage_types": 1,
            "activities": 1, **{k: v * n for k, v in SIZES.items()}}
    r = requests.post(f"{control}/companies", json=body, timeout=600)
    r.raise_for_status()
    return {"control": control, **r.json()}


def _calls(company: dict) -> int:
    r = requests.get(f"{company['control']}/calls", params={"company_id": company["id"]}, timeout=60)
    r.raise_for_status()
    return sum(r.json()["calls"].values())


def run_scale(info: dict, n: int) -> list[dict]:
    from django.core import mail
    from django.db import connection

    from integrations.connectors.inventory import startup
    from integrations.models import Connection, ConnectorConfig, SyncRecord
    from tenants.models import Tenant

    company = _company(info, n)
    tenant = Tenant.objects.create(name=f"Oppstart {n}x AS", slug=f"oppstart-{n}x",
                                   org_number=str(910000000 + n * 17 + 3)[:9])
    Connection.objects.create(tenant=tenant, state=Connection.State.ACTIVE, tripletex_company_id=company["id"],
                              employee_token=company["employee_tokens"]["GrønnJobb"],
                              tripletex_company_name=company["name"])
    ConnectorConfig.objects.create(tenant=tenant, name="inventory", enabled=True)
    lines = []
    for phase in ("first", "baseline_again"):
        calls_before, sent_before = _calls(company), len(mail.outbox)
        queries = [0]

        def count(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        run = startup.startup_request(tenant=tenant, kinds=list(startup.KINDS), by=None)
        started = time.perf_counter()
        with connection.execute_wrapper(count):
            startup.startup_execute(run=run)
        seconds = time.perf_counter() - started
        run.refresh_from_db()
        line = {"phase": phase, "scale": n, "status": run.status, "seconds": round(seconds, 2),
                "objects": run.records.count(), "api_calls": _calls(company) - calls_before,
                "sql_queries": queries[0], "created": run.records.filter(action=SyncRecord.Action.CREATED).count(),
                "invitations": len(mail.outbox) - sent_before}
        emit(**line)
        lines.append(line)
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.startup_sync", description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, nargs="+", default=[1],
                    help="multiples of 2,000 customers, 300 suppliers, 2,000 products and 100 employees")
    ap.add_argument("--postgres", metavar="URL",
                    help="run on a scratch database made (and dropped) on this PostgreSQL server instead of a "
                         "temporary SQLite file, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args(argv)

    proc, info = start_fake()
    var_dir = tempfile.mkdtemp(prefix="bench-startup-sync-")
    scratch = _scratch_postgres(args.postgres, prefix="bench_startup") if args.postgres else None
    try:
        setup_django(var_dir, info, scratch["url"] if scratch else None)
        from django.conf import settings
        from django.db import connection
        from django_scopes import scopes_disabled

        # The invitations are counted, not printed: the console backend would break the JSON lines.
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        emit(phase="database", vendor=connection.vendor, name=str(connection.settings_dict["NAME"]))
        results = {}
        with scopes_disabled():
            for n in args.scale:
                results[n] = run_scale(info, n)
        first = {n: lines[0] for n, lines in results.items()}
        again = {n: lines[1] for n, lines in results.items()}
        emit(phase="targets",
             first_seconds={"value": {n: ln["seconds"] for n, ln in first.items()},
                            "target": f"< {TARGET_FIRST_SECONDS} s at 1×",
                            "ok": first[1]["seconds"] < TARGET_FIRST_SECONDS if 1 in first else None},
             api_calls={"value": {n: ln["api_calls"] for n, ln in first.items()},
                        "target": "a few per kind (pages of 1,000), not per object"},
             again_creates_nothing={"value": {n: (ln["created"], ln["invitations"]) for n, ln in again.items()},
                                    "ok": all(ln["created"] == 0 and ln["invitations"] == 0 for ln in again.values())})
    finally:
        stop_fake(proc)
        if scratch:
            from django.db import connections

            connections.close_all()
            _drop_postgres(scratch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
