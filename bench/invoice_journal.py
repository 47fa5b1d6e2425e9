"""Benchmark the invoice journal (seed 002): issued invoices sent to Tripletex as invoiced orders.

Run: ``python -m bench.invoice_journal [--invoices 2000] [--lines 5] [--latency-ms 20] [--postgres URL]``, or
``python -m bench.invoices --journal ...``, which runs the same `journal` and prints it with the invoice lines' keys
(`as_invoice_line`).

A company of ours with the customer import on, its customers imported from a fake Tripletex company, and
``--invoices`` issued invoices of ``--lines`` lines each (made straight in the database: issuing makes a PDF
per invoice, which the journal does not use). One journal of them all is sent with every Tripletex call
delayed by ``--latency-ms``, and the worker is killed half-way (after Tripletex made an invoice, before we
heard); the task is then handed to another worker, as the broker does with an unacknowledged task.

Prints one JSON line for the ``journal`` phase: ``invoices``, ``lines``, ``latency_ms``, ``seconds``,
``invoices_per_second``, ``api_calls`` (the fake's count for the company, both workers), ``calls_per_invoice``,
``orders`` and ``invoices_in_tripletex`` (what the fake holds), ``duplicates`` (orders or invoices made twice for
one of ours), ``missing`` (ours with no invoice there), ``sql_queries`` (this process's, the only worker),
``peak_rss_mb``, ``task_errors`` (the handed-over run raising); then a ``targets`` line. Targets: calls per invoice ≤ 2 plus a few list reads per send (customers,
departments, projects, currencies, VAT types, and one look-up after the kill), 0 duplicates.
"""
from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal

from bench.master_sync import Fake, calls_since
from bench.wizard import _drop_postgres, _org_number, _scratch_postgres, emit, setup_django, start_fake
from bench.wizard import stop as stop_fake

CALLS_PER_INVOICE = 2


class Killed(BaseException):
    """The worker dies: not an Exception, so nothing on the way catches it."""


def journal(fake: Fake, n_invoices: int, n_lines: int, latency_ms: float) -> dict:
    from django.db import connection as db
    from django.utils import timezone
    from django_scopes import scope, scopes_disabled

    from commerce import services
    from commerce.kid import kid_for_invoice
    from commerce.models import Invoice, InvoiceLine
    from hr.models import Customer
    from integrations.clients import close_pooled_clients
    from integrations.connectors import runner
    from integrations.connectors.customer_import import NAME
    from integrations.connectors.customer_import import journal as journals
    from integrations.models import Connection, ConnectorConfig, SyncRun
    from integrations.tripletex import TripletexClient
    from tenants.models import Tenant

    company = fake("POST", "companies", json={"name": "Bench bunt AS", "applications": ["GrønnJobb"],
                                              "customers": 50, "projects": 2, "employees": 2})
    cid = company["id"]
    with scopes_disabled():
        tenant = Tenant.objects.create(name="Bench bunt AS", org_number=_org_number(500), slug="bench-bunt")
        Connection.objects.create(tenant=tenant, state=Connection.State.ACTIVE, tripletex_company_id=cid,
                                  employee_token=company["employee_tokens"]["GrønnJobb"],
                                  tripletex_company_name=company["name"])
        ConnectorConfig.objects.create(tenant=tenant, name=NAME, enabled=True, options={"interval_minutes": 15})
    with scope(tenant=tenant):
        imported = SyncRun.objects.create(tenant=tenant, kind=SyncRun.Kind.CONNECTOR, connector=NAME,
                                          trigger=SyncRun.Trigger.MANUAL)
        runner.connector_run_execute(run=imported)
        customers = list(Customer.objects.filter(tenant=tenant))
        day = timezone.localdate()
        invoices = Invoice.objects.bulk_create([Invoice(
            tenant=tenant, status=Invoice.Status.ISSUED, number=i, kid=kid_for_invoice(i), invoice_date=day,
            due_date=day + dt.timedelta(days=14), customer=customers[i % len(customers)], issued_at=timezone.now(),
            amount_net=Decimal(100 * n_lines), amount_vat=Decimal(25 * n_lines), amount_gross=Decimal(125 * n_lines),
        ) for i in range(1, n_invoices + 1)])
        InvoiceLine.objects.bulk_create([InvoiceLine(
            tenant=tenant, invoice=invoice, position=p, description=f"Linje {p}", unit_price=Decimal("50.00"),
            quantity=Decimal("2"), vat_code="3", amount=Decimal("100.00"),
        ) for invoice in invoices for p in range(1, n_lines + 1)], batch_size=2000)
        bunt = services.invoice_journal_create(tenant=tenant, invoice_ids=[i.id for i in invoices], by=None)

        fake("POST", "faults", json={"company_id": cid, "latency_ms": latency_ms})
        before = fake.calls(cid)
        original, made = TripletexClient.invoice_create, Counter()

        def dies_half_way(self, *args, **kwargs):
            answer = original(self, *args, **kwargs)
            made["invoices"] += 1
            if made["invoices"] == n_invoices // 2:
                raise Killed
            return answer

        # Counted with a wrapper, not Django's query log: that log is capped.
        queries, task_errors = [], 0
        started = time.perf_counter()
        with db.execute_wrapper(lambda execute, *a: queries.append(1) or execute(*a)):
            run = journals.journal_send_request(journal=bunt)
            TripletexClient.invoice_create = dies_half_way
            try:
                journals.journal_run_execute(run=run, journal=bunt)
            except Killed:
                pass
            finally:
                TripletexClient.invoice_create = original
            close_pooled_clients()  # the next worker is another process, with a session of its own
            try:
                journals.journal_run_execute(run=run, journal=bunt)  # the task, handed to the next worker
            except Exception:  # noqa: BLE001 - a worker's task failing is a figure here, not the end of the run
                task_errors += 1
        seconds = time.perf_counter() - started
        calls = calls_since(before, fake.calls(cid))
        fake("DELETE", "faults")
        run.refresh_from_db()

    orders = fake("GET", f"companies/{cid}/objects/order")["values"]
    made_invoices = fake("GET", f"companies/{cid}/objects/invoice")["values"]
    by_reference = Counter(o.get("reference") for o in orders)
    by_order = Counter(ref["id"] for i in made_invoices for ref in i.get("orders") or ())
    duplicates = sum(c - 1 for c in by_reference.values() if c > 1) + sum(c - 1 for c in by_order.values() if c > 1)
    invoiced_orders = set(by_order)
    missing = sum(1 for o in orders if o["id"] not in invoiced_orders) + max(0, n_invoices - len(by_reference))
    total = sum(calls.values())
    return {"phase": "journal", "invoices": n_invoices, "lines": n_lines, "latency_ms": latency_ms,
            "seconds": round(seconds, 2), "invoices_per_second": round(n_invoices / seconds, 1),
            "api_calls": total, "calls_per_invoice": round(total / n_invoices, 3), "calls": calls,
            "run_status": run.status, "orders": len(orders), "invoices_in_tripletex": len(made_invoices),
            "duplicates": duplicates, "missing": missing, "sql_queries": len(queries),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "task_errors": task_errors}


def as_invoice_line(line: dict) -> dict:
    """`journal`'s figures under the keys `bench.invoices` prints for invoices and payments."""
    count = line["invoices"]
    return {"mode": "connector", "kind": "journal", "count": count, "seconds": line["seconds"],
            "api_calls": line["api_calls"], "api_calls_per_item": line["calls_per_invoice"],
            "sql_queries": line["sql_queries"], "duplicates": line["duplicates"], "missing": line["missing"],
            "peak_rss_mb": line["peak_rss_mb"], "task_errors": line["task_errors"],
            "sql_queries_per_item": round(line["sql_queries"] / count, 1), "workers_killed": 1,
            "lines": line["lines"], "calls": line["calls"], "run_status": line["run_status"]}


def targets(line: dict) -> dict:
    limit = CALLS_PER_INVOICE * line["invoices"] + 10
    return {"calls_per_invoice": CALLS_PER_INVOICE, "api_calls_limit": limit,
            "ok": line["api_calls"] <= limit and line["duplicates"] == 0 and line["missing"] == 0
            and line["invoices_in_tripletex"] == line["invoices"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a scratch database is made and dropped")
    args = parser.parse_args(argv)

    proc, info = start_fake()
    scratch = _scratch_postgres(args.postgres, prefix="bench_invoices") if args.postgres else None
    try:
        with tempfile.TemporaryDirectory() as var_dir:
            setup_django(var_dir, info, scratch["url"] if scratch else None)
            line = journal(Fake(info), args.invoices, args.lines, args.latency_ms)
            emit(**line)
            emit(phase="targets", **targets(line))
    finally:
        if scratch:
            _drop_postgres(scratch)
        stop_fake(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
