"""Exactly once with real Celery workers against the fake over HTTP: killed workers, dropped answers, 429s, 5xx."""
import time

import pytest
from django_scopes import scope, scopes_disabled

from integrations import tasks
from integrations.models import HourTransfer
from tests.factories import TenantFactory

from .conftest import approve, make_tx
from .workers import wait_for

State = HourTransfer.State
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def all_in(tenant, *states) -> bool:
    with scopes_disabled():
        rows = HourTransfer.objects.filter(tenant=tenant)
        return rows.exists() and not rows.exclude(state__in=states).exists()


def sweep_until(predicate, *, timeout, workers, what):
    """What beat does every minute, every second here: reclaim dead claims, push what was left."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        tasks.sweep_hours()
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}\n{workers.logs()}")


def test_a_worker_killed_with_sigkill_mid_batch_leaves_each_hour_in_tripletex_exactly_once(tx, workers, settings):
    with scope(tenant=tx.tenant):
        workers.configure(settings, HOURS_BATCH_SIZE=10)
        entries = [tx.entry(emp=e, day=d) for e in range(3) for d in range(10)]
        first = workers.start()
        # Tripletex takes 3 s over each batch and commits it even though the worker is gone by then.
        tx.fake.set_faults(company_id=tx.company_id, path_prefix="/timesheet/entry/list", latency_ms=3000)
        approve(tx, entries)
        wait_for(lambda: tx.fake.calls(tx.company_id).get("POST /timesheet/entry/list", 0) >= 1, timeout=30,
                 what="the first batch to reach Tripletex", workers=workers)
        workers.kill(first)
        time.sleep(3.5)  # the fake finishes and commits the batch nobody is waiting for
        tx.fake.clear_faults()
        with scopes_disabled():
            assert HourTransfer.objects.filter(tenant=tx.tenant, state=State.SENDING).exists()
        assert len(tx.remote_entries()) == 10

        workers.start()
        sweep_until(lambda: all_in(tx.tenant, State.SENT), timeout=60, workers=workers, what="every row sent")
        assert tx.remote_by_key() == tx.expected_by_key()  # raises on a duplicate key
        assert len(tx.remote_entries()) == 30


def test_commit_then_drop_429_bursts_and_5xx_end_with_each_hour_in_tripletex_exactly_once(tx, workers, settings):
    with scope(tenant=tx.tenant):
        workers.configure(settings, HOURS_BATCH_SIZE=8)
        workers.start(concurrency=2)
        tx.fake.set_faults(company_id=tx.company_id, path_prefix="/timesheet/entry/list", drop_after_commit=3)
        tx.fake.set_faults(company_id=tx.company_id, burst_429=6, reset_seconds=1)
        tx.fake.set_faults(company_id=tx.company_id, path_prefix="/timesheet", error_rate=0.25, error_status=503)
        # Several approvals, so several tasks for the company run side by side.
        for day in range(6):
            approve(tx, [tx.entry(emp=e, day=day, hours=f"{1 + e}.25") for e in range(3)]
                    + [tx.entry(emp=0, proj=1, day=day, hours="1.00"), tx.entry(emp=0, proj=1, day=day, hours="0.50")])
        sweep_until(lambda: all_in(tx.tenant, State.SENT), timeout=90, workers=workers, what="every row sent")
        assert tx.remote_by_key() == tx.expected_by_key()
        assert len(tx.remote_entries()) == 6 * 4
        calls = tx.fake.calls(tx.company_id)
        assert calls.get("GET /timesheet/entry", 0) >= 1  # dropped answers were reconciled, not resent blindly


def test_a_company_with_many_hours_or_a_rate_limit_does_not_hold_up_another(world, tx, workers, settings,
                                                                           fake_tripletex):
    workers.configure(settings, HOURS_BATCH_SIZE=10)
    busy, quiet = tx, make_tx(fake_tripletex, world.b)
    limited = make_tx(fake_tripletex, TenantFactory())
    fake_tripletex.set_faults(company_id=busy.company_id, path_prefix="/timesheet/entry/list", latency_ms=300)
    fake_tripletex.set_faults(company_id=limited.company_id, burst_429=10_000, reset_seconds=2)
    approve(busy, [busy.entry(emp=e, day=d) for e in range(3) for d in range(30)])  # 9 batches of 10
    approve(limited, [limited.entry()])
    approve(quiet, [quiet.entry()])
    workers.start()  # one worker for all three companies

    wait_for(lambda: all_in(quiet.tenant, State.SENT), timeout=30, what="the quiet company's hour",
             workers=workers)
    with scopes_disabled():
        assert HourTransfer.objects.filter(tenant=busy.tenant, state=State.PENDING).exists()
        assert HourTransfer.objects.get(tenant=limited.tenant).state == State.PENDING
    # The limited company is not hammered: the worker gives it back and waits for the reset.
    time.sleep(2)
    limited_calls = sum(fake_tripletex.calls(limited.company_id).values())
    assert limited_calls <= 12, limited_calls

    fake_tripletex.clear_faults()
    sweep_until(lambda: all_in(busy.tenant, State.SENT) and all_in(limited.tenant, State.SENT), timeout=60,
                workers=workers, what="the other companies' hours")
    assert busy.remote_by_key() == busy.expected_by_key()
    assert limited.remote_by_key() == limited.expected_by_key()
