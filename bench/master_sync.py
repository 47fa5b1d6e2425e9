"""Benchmark the two-way sync of projects, customers and employees (seed 000) against a big Tripletex company.

Run: ``python -m bench.master_sync [--scale 1 4] [--postgres URL]``.

Per scale (1× = 5,000 projects, 5,000 customers and 2,000 employees in the fake Tripletex, our side empty):

- ``first_sync``: the connector switched on and its first run (a full read that creates everything here);
- ``baseline_full_reread``: the same run again with the watermark and list digests forgotten, i.e. what
  every reconcile would cost without reading only what changed;
- ``incremental``: 10 changes here (HR services, then the outbox push) and 10 in Tripletex (its control
  API, as a Tripletex user), then one reconcile run ("Synkroniser nå");
- ``webhook``: our web app on a free port, the connector's webhook subscriptions made for it, and the same
  20 changes again: each Tripletex change timed until our row has it (the fake posts to
  ``/webhooks/tripletex/<key>/``, the delivery is processed at once, as by an idle worker), each change
  here until the fake has it (the push runs when the edit commits).

One JSON line per phase with ``phase``, ``seconds``, ``api_calls`` (the fake's count for the company),
``sql_queries`` and ``changes_applied`` (log records that created, updated, deleted or linked something),
then a ``targets`` line. Targets: first sync < 60 s at 1×; incremental ≤ 50 calls for the 20 changes and not
growing with the data (compare the lines of ``--scale 1 4``); a webhook change visible on the other side < 5 s.

The fake's data is dated a day back, as a company's data is when its connector has been on for a while:
the reconcile asks for customers changed since five minutes before the last run, which would otherwise be
all of them.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time

import requests

from bench.wizard import _by_statement, _drop_postgres, _org_number, _scratch_postgres, emit, setup_django, start_fake
from bench.wizard import stop as stop_fake

SIZES = {"projects": 5000, "customers": 5000, "employees": 2000}
CHANGES_PER_KIND = {"project": 4, "customer": 4, "employee": 2}  # 10 on each side
TARGETS = {"first_sync_seconds": 60, "incremental_api_calls": 50, "webhook_seconds": 5}
NAME = "master_data"
POLL_S = 0.02


class Fake:
    def __init__(self, info: dict):
        self.control = info["base_url"][: -len("/v2")] + "/_fake"
        self.http = requests.Session()

    def __call__(self, method: str, path: str, **kwargs):
        r = self.http.request(method, f"{self.control}/{path}", timeout=300, **kwargs)
        r.raise_for_status()
        return r.json()

    def calls(self, company_id: int) -> dict[str, int]:
        return self("GET", "calls", params={"company_id": company_id})["calls"]

    def get(self, company_id: int, kind: str, tripletex_id: int) -> dict:
        return self("GET", f"companies/{company_id}/objects/{kind}/{tripletex_id}")["value"]

    def change(self, company_id: int, kind: str, tripletex_id: int, **fields) -> dict:
        return self("PUT", f"companies/{company_id}/objects/{kind}/{tripletex_id}", json=fields)["value"]


def calls_since(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before.get(k, 0) for k in sorted(after) if after[k] != before.get(k, 0)}


class Enqueued:
    """Our services queue tasks on commit; in the first phases the bench is the worker and runs them itself."""

    def __init__(self):
        from integrations.connectors import services

        self.services = services
        self.runs: list[int] = []
        self.saved = {n: getattr(services, n) for n in ("_enqueue_run", "_enqueue_push", "_enqueue_subscriptions_sync")}

    def __enter__(self):
        self.services._enqueue_run = lambda *, run_id: self.runs.append(run_id)
        self.services._enqueue_push = lambda *, tenant_id: None
        # No public address yet: nothing is subscribed until the webhook phase starts our web server.
        self.services._enqueue_subscriptions_sync = lambda *, tenant_id: None
        return self

    def __exit__(self, *exc):
        for name, fn in self.saved.items():
            setattr(self.services, name, fn)


class Scale:
    """One company of ours and one of the fake's, `scale` times the issue's sizes."""

    def __init__(self, fake: Fake, scale: int):
        from django_scopes import scopes_disabled

        from integrations.models import Connection
        from tenants.models import Membership, Tenant, User

        self.fake, self.scale, self.label = fake, scale, f"{scale}x"
        sizes = {k: v * scale for k, v in SIZES.items()}
        # Made "yesterday": see the module's docstring.
        fake("POST", "clock", json={"offset_seconds": -86400})
        t = time.perf_counter()
        company = fake("POST", "companies", json={"name": f"Bench toveis {self.label} AS",
                                                  "applications": ["GrønnJobb"], **sizes})
        emit(scale=scale, phase="fake_company", sizes=sizes, seconds=round(time.perf_counter() - t, 3))
        fake("DELETE", "clock")
        self.cid = company["id"]
        with scopes_disabled():
            self.tenant = Tenant.objects.create(name=f"Bench toveis {self.label} AS",
                                                org_number=_org_number(100 + scale), slug=f"bench-toveis-{self.label}")
            self.admin = User.objects.create_user(f"admin-{self.label}@bench.no", "pw-12345678", first_name="Admin")
            Membership.objects.create(user=self.admin, tenant=self.tenant, role=Membership.Role.ADMIN)
            Connection.objects.create(tenant=self.tenant, state=Connection.State.ACTIVE,
                                      employee_token=company["employee_tokens"]["GrønnJobb"],
                                      tripletex_company_id=self.cid, tripletex_company_name=company["name"])
        self.lines: dict[str, dict] = {}

    # --- measuring ---------------------------------------------------------------------------------------

    def measure(self, phase: str, body, **extra) -> dict:
        """Run `body()` in the company's scope, counting its SQL here and its calls in the fake."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django_scopes import scope

        from integrations.models import SyncRun

        before_calls = self.fake.calls(self.cid)
        first_run = SyncRun.objects.order_by("-id").values_list("id", flat=True).first() or 0
        with scope(tenant=self.tenant), CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            result = body() or {}
            seconds = time.perf_counter() - t
        calls = calls_since(before_calls, self.fake.calls(self.cid))
        # A body that also polls (the webhook phase) counts its own SQL, here and in the web server's threads.
        sql = result.pop("sql", None) or queries.captured_queries
        line = {"scale": self.scale, "phase": phase, "seconds": round(seconds, 3), "api_calls": sum(calls.values()),
                "sql_queries": len(sql), "changes_applied": self.applied(after_run=first_run), **result, **extra,
                "api_calls_by_endpoint": calls, "sql_by_statement": _by_statement(sql)}
        self.lines[phase] = line
        emit(**line)
        return line

    def applied(self, *, after_run: int) -> int:
        from integrations.models import SyncRecord

        done = (SyncRecord.Action.CREATED, SyncRecord.Action.UPDATED, SyncRecord.Action.DELETED,
                SyncRecord.Action.LINKED)
        return SyncRecord.objects.filter(tenant=self.tenant, run_id__gt=after_run, action__in=done).count()

    def run_now(self, enqueued: Enqueued) -> dict:
        """Execute the runs our services queued, as the worker's `connector_run` task would."""
        from integrations.connectors.runner import connector_run_execute
        from integrations.models import SyncRun

        statuses = []
        for run_id in enqueued.runs:
            run = connector_run_execute(run=SyncRun.objects.get(id=run_id))
            statuses.append(run.status)
            if run.status != SyncRun.Status.SUCCEEDED:
                raise SystemExit(f"run {run.id} ended {run.status}: {run.message} {run.summary}")
        enqueued.runs.clear()
        return {"runs": statuses}

    # --- phases ------------------------------------------------------------------------------------------

    def first_sync(self) -> None:
        from django.db import transaction

        from hr.models import Customer, Employee, Project
        from integrations.connectors.services import connector_enable

        def body():
            with Enqueued() as enqueued:
                with transaction.atomic():
                    connector_enable(tenant=self.tenant, name=NAME, by=self.admin)
                out = self.run_now(enqueued)
            out["here"] = {"projects": Project.objects.filter(tenant=self.tenant).count(),
                           "customers": Customer.objects.filter(tenant=self.tenant).count(),
                           "employees": Employee.objects.filter(tenant=self.tenant).count()}
            return out

        self.measure("first_sync", body, target_seconds=TARGETS["first_sync_seconds"])

    def baseline(self) -> None:
        from integrations.models import ConnectorConfig, SyncRun

        def body():
            ConnectorConfig.objects.filter(tenant=self.tenant, name=NAME).update(watermark=None, digests={})
            with Enqueued() as enqueued:
                from integrations.connectors.services import connector_run_request

                connector_run_request(tenant=self.tenant, name=NAME, trigger=SyncRun.Trigger.MANUAL)
                return self.run_now(enqueued)

        self.measure("baseline_full_reread", body)

    def pick(self) -> dict[str, list[tuple[int, int]]]:
        """Linked objects spread over each list, (local id, Tripletex id): first half for us, second for Tripletex."""
        from integrations.models import Link

        picked = {}
        for kind, n in CHANGES_PER_KIND.items():
            links = list(Link.objects.filter(tenant=self.tenant, kind=kind, state=Link.State.LINKED)
                         .order_by("tripletex_id").values_list("local_id", "tripletex_id"))
            step = len(links) // (2 * n + 1)
            picked[kind] = [links[(i + 1) * step] for i in range(2 * n)]
        return picked

    def edit_here(self, kind: str, local_id: int, tag: str) -> tuple[str, str]:
        """One edit through the HR services; returns the Tripletex field and the value it should get."""
        from hr import services
        from hr.models import Customer, Employee, Project

        if kind == "project":
            row = Project.objects.get(id=local_id)
            services.project_update(tenant=self.tenant, project=row, data={"name": f"{row.name[:150]} {tag}"})
            return "name", Project.objects.get(id=local_id).name
        if kind == "customer":
            row = Customer.objects.get(id=local_id)
            services.customer_update(tenant=self.tenant, customer=row, data={"name": f"{row.name[:150]} {tag}"})
            return "name", Customer.objects.get(id=local_id).name
        row = Employee.objects.get(id=local_id)
        services.employee_update(tenant=self.tenant, employee=row, data={"first_name": f"{row.first_name} {tag}"})
        return "firstName", Employee.objects.get(id=local_id).first_name

    def edit_there(self, kind: str, tripletex_id: int, tag: str) -> tuple[str, str]:
        """One edit in Tripletex as its user; returns our field and the value it should get here."""
        obj = self.fake.get(self.cid, kind, tripletex_id)
        if kind == "employee":
            value = f"{obj['firstName']} {tag}"
            self.fake.change(self.cid, kind, tripletex_id, firstName=value)
            return "first_name", value
        value = f"{obj['name'][:150]} {tag}"
        self.fake.change(self.cid, kind, tripletex_id, name=value)
        return "name", value

    def ours_has(self, kind: str, local_id: int, field: str, value: str) -> bool:
        from integrations.connectors.master_data.local import MODELS

        return MODELS[kind].objects.filter(id=local_id, **{field: value}).exists()

    def incremental(self, picked: dict) -> None:
        from integrations.connectors.runner import outbound_changes_push
        from integrations.connectors.services import connector_run_request
        from integrations.models import SyncRun

        expected_there, expected_here = [], []

        def body():
            with Enqueued() as enqueued:
                t = time.perf_counter()
                before = self.fake.calls(self.cid)
                for kind, pairs in picked.items():
                    for local_id, tripletex_id in pairs[:CHANGES_PER_KIND[kind]]:
                        expected_there.append((kind, tripletex_id, *self.edit_here(kind, local_id, "(endret her)")))
                sent = 0
                while True:
                    outcome = outbound_changes_push(tenant=self.tenant)
                    sent += outcome.sent
                    if not outcome.more:
                        break
                push = {"seconds": round(time.perf_counter() - t, 3), "sent": sent,
                        "api_calls": sum(calls_since(before, self.fake.calls(self.cid)).values())}
                for kind, pairs in picked.items():
                    for local_id, tripletex_id in pairs[CHANGES_PER_KIND[kind]:]:
                        expected_here.append((kind, local_id, *self.edit_there(kind, tripletex_id, "(endret i TX)")))
                t = time.perf_counter()
                before = self.fake.calls(self.cid)
                connector_run_request(tenant=self.tenant, name=NAME, trigger=SyncRun.Trigger.MANUAL)
                out = self.run_now(enqueued)
                out["reconcile"] = {"seconds": round(time.perf_counter() - t, 3),
                                    "api_calls": sum(calls_since(before, self.fake.calls(self.cid)).values())}
                out["push"] = push
            out["verified"] = self.verify(expected_there, expected_here)
            return out

        line = self.measure("incremental", body, changes=2 * sum(CHANGES_PER_KIND.values()),
                            target_api_calls=TARGETS["incremental_api_calls"])
        line["ok"] = line["api_calls"] <= TARGETS["incremental_api_calls"]

    def verify(self, there: list, here: list) -> bool:
        ok = all(self.fake.get(self.cid, kind, tid).get(field) == value for kind, tid, field, value in there)
        return ok and all(self.ours_has(kind, lid, field, value) for kind, lid, field, value in here)

    def webhook(self, picked: dict, server: WebServer) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone
        from django_scopes import scope

        from config import celery_app
        from integrations.connectors import webhooks
        from integrations.models import SyncRecord, SyncRun, WebhookSubscription

        with scope(tenant=self.tenant):
            before = self.fake.calls(self.cid)
            webhooks.subscriptions_sync(tenant=self.tenant)
            subscribed = WebhookSubscription.objects.filter(tenant=self.tenant).count()
            emit(scale=self.scale, phase="webhook_subscribe", subscriptions=subscribed,
                 api_calls=sum(calls_since(before, self.fake.calls(self.cid)).values()))

        latencies: dict[str, list[float]] = {"tripletex_to_here": [], "here_to_tripletex": []}
        started = timezone.now()
        ours = [(kind, local_id) for kind, pairs in picked.items() for local_id, _t in pairs[:CHANGES_PER_KIND[kind]]]

        def wait(condition) -> None:
            deadline = time.perf_counter() + 30
            while not condition():
                if time.perf_counter() > deadline:
                    raise SystemExit("a change did not reach the other side within 30 s")
                time.sleep(POLL_S)

        def body():
            eager = celery_app.conf.task_always_eager
            celery_app.conf.task_always_eager = True  # an idle worker: a delivery is processed when it arrives
            server.sql.clear()
            server.requests = 0
            sql = []
            try:
                for kind, pairs in picked.items():
                    for local_id, tripletex_id in pairs[CHANGES_PER_KIND[kind]:]:
                        t = time.perf_counter()
                        field, value = self.edit_there(kind, tripletex_id, "(webhook)")
                        wait(lambda: self.ours_has(kind, local_id, field, value))
                        latencies["tripletex_to_here"].append(time.perf_counter() - t)
                for kind, pairs in picked.items():
                    for local_id, tripletex_id in pairs[:CHANGES_PER_KIND[kind]]:
                        t = time.perf_counter()
                        with CaptureQueriesContext(connection) as queries:
                            field, value = self.edit_here(kind, local_id, "(webhook)")
                        sql += queries.captured_queries
                        wait(lambda: self.fake.get(self.cid, kind, tripletex_id).get(field) == value)
                        latencies["here_to_tripletex"].append(time.perf_counter() - t)
                # Our own writes come back as deliveries too; wait for them, so their cost is counted.
                wait(lambda: server.idle_for(1.0))
            finally:
                celery_app.conf.task_always_eager = eager
            from_webhooks = SyncRecord.objects.filter(run__tenant=self.tenant, run__trigger=SyncRun.Trigger.WEBHOOK,
                                                      run__created_at__gte=started)
            echoed = sum(from_webhooks.filter(object_kind=kind, local_id=local_id, action=SyncRecord.Action.UPDATED)
                         .count() for kind, local_id in ours)
            return {"sql": sql + server.sql, "deliveries": server.requests,
                    "echoes_taken_as_changes": echoed}

        line = self.measure("webhook", body, changes=2 * sum(CHANGES_PER_KIND.values()))
        for direction, values in latencies.items():
            line[f"{direction}_seconds"] = {"median": round(statistics.median(values), 3),
                                            "max": round(max(values), 3)}
        line["ok"] = max(max(v) for v in latencies.values()) < TARGETS["webhook_seconds"]
        emit(scale=self.scale, phase="webhook_latency", target_seconds=TARGETS["webhook_seconds"], ok=line["ok"],
             **{f"{d}_seconds": line[f"{d}_seconds"] for d in latencies})


class WebServer:
    """Our web app on a free port in this process, counting the SQL its requests run."""

    def __init__(self):
        from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
        from django.core.wsgi import get_wsgi_application
        from django.db import connection

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args):
                pass

        app = get_wsgi_application()
        lock = threading.Lock()
        self.sql: list[dict] = []
        self.requests = 0
        self.last = time.perf_counter()

        def count(execute, sql, params, many, context):
            with lock:
                self.sql.append({"sql": sql})
            return execute(sql, params, many, context)

        def counted(environ, start_response):
            with connection.execute_wrapper(count):
                try:
                    return app(environ, start_response)
                finally:
                    with lock:
                        self.requests += 1
                        self.last = time.perf_counter()

        self.httpd = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=False)
        self.httpd.set_app(counted)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def idle_for(self, seconds: float) -> bool:
        return time.perf_counter() - self.last > seconds

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.master_sync", description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, nargs="+", default=[1],
                    help="multiples of 5,000 projects, 5,000 customers and 2,000 employees, e.g. --scale 1 4")
    ap.add_argument("--postgres", metavar="URL",
                    help="run on a scratch database made (and dropped) on this PostgreSQL server instead of a "
                         "temporary SQLite file, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args(argv)

    proc, info = start_fake()
    var_dir = tempfile.mkdtemp(prefix="bench-master-sync-")
    scratch = _scratch_postgres(args.postgres, prefix="bench_master") if args.postgres else None
    server = None
    try:
        fake = Fake(info)
        setup_django(var_dir, info, scratch["url"] if scratch else None)
        from django.conf import settings
        from django.db import connection
        from django_scopes import scopes_disabled

        emit(phase="database", vendor=connection.vendor, name=str(connection.settings_dict["NAME"]))
        server = WebServer()
        settings.SITE_URL = server.url
        scales = []
        with scopes_disabled():  # the bench reads rows of its own; services and requests enter their scope
            for n in args.scale:
                scale = Scale(fake, n)
                scale.first_sync()
                scale.baseline()
                picked = scale.pick()
                scale.incremental(picked)
                scale.webhook(picked, server)
                scales.append(scale)
        report_targets(scales)
    finally:
        if server is not None:
            server.stop()
        stop_fake(proc)
        if scratch:
            from django.db import connections

            connections.close_all()
            _drop_postgres(scratch)
    return 0


def report_targets(scales: list[Scale]) -> None:
    lines = {s.scale: s.lines for s in scales}
    first = {n: ln["first_sync"]["seconds"] for n, ln in lines.items()}
    incremental = {n: ln["incremental"]["api_calls"] for n, ln in lines.items()}
    webhook = {n: max(ln["webhook"][f"{k}_seconds"]["max"] for k in ("tripletex_to_here", "here_to_tripletex"))
               for n, ln in lines.items()}
    same = len(set(incremental.values())) == 1 if len(incremental) > 1 else None
    within = all(v <= TARGETS["incremental_api_calls"] for v in incremental.values())
    emit(phase="targets",
         # The size is 1×; larger scales show how the time grows.
         first_sync={"seconds": first, "target": f"< {TARGETS['first_sync_seconds']} s at 1×",
                     "ok": first[1] < TARGETS["first_sync_seconds"] if 1 in first else None},
         incremental={"api_calls": incremental,
                      "target": f"<= {TARGETS['incremental_api_calls']} calls for 20 changes, the same at every scale",
                      "ok": within and same is not False,
                      "same_at_every_scale": same, "grows_with_the_data": _growing(lines),
                      "verified": all(ln["incremental"]["verified"] for ln in lines.values())},
         webhook={"worst_seconds": webhook, "target": f"< {TARGETS['webhook_seconds']} s",
                  "ok": all(v < TARGETS["webhook_seconds"] for v in webhook.values())})


def _growing(lines: dict) -> dict:
    """The incremental phase's calls per endpoint that differ between the scales: where the growth is."""
    by_scale = {n: ln["incremental"]["api_calls_by_endpoint"] for n, ln in lines.items()}
    endpoints = sorted({e for calls in by_scale.values() for e in calls})
    return {e: {n: calls.get(e, 0) for n, calls in by_scale.items()} for e in endpoints
            if len({calls.get(e, 0) for calls in by_scale.values()}) > 1}


if __name__ == "__main__":
    sys.exit(main())
