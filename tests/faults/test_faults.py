"""The fault suite (issue 15): each scenario of `bench.fault_scenarios` with real Celery workers on PostgreSQL
and Redis against the fake Tripletex over HTTP, ending with both sides compared record by record.

Every scenario must end with each record in Tripletex exactly once: 0 duplicates, 0 missing. The figures
each prints are the same JSON line `python -m bench.faults` prints.
"""
import json

import pytest
from django.conf import settings as django_settings
from django.db import connection

from bench import fault_scenarios as fs

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Small enough for CI (the whole file in well under six minutes), big enough for several batches and
# companies at once; the bench runs bigger loads.
SIZE = fs.Size(companies=3, rounds=3, entries=12, creates=2, renames=1)


@pytest.fixture
def needs_production_stack():
    if connection.vendor != "postgresql":
        pytest.skip("the fault suite needs PostgreSQL and Redis, as CI runs it: set "
                    "DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://...")
    if not django_settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("the fault suite needs Redis as the broker: set CELERY_BROKER_URL=redis://...")


def make_stack(settings, fake_tripletex, tmp_path, **kwargs) -> fs.Stack:
    return fs.Stack(settings=settings, fake=fs.Fake(fake_tripletex.base_url, fake_tripletex.consumer_token),
                    database_url=fs.database_url(), broker_url=django_settings.CELERY_BROKER_URL,
                    log_dir=tmp_path, size=SIZE, **kwargs)


@pytest.fixture
def stack(needs_production_stack, transactional_db, fake_tripletex, settings, tmp_path):
    with make_stack(settings, fake_tripletex, tmp_path) as st:
        yield st


def proven(st: fs.Stack, line: dict) -> dict:
    print(json.dumps(line))
    assert line["operations"] > 0
    assert line["delivered_once"] == line["operations"], f"{line}\n{st.procs.logs()}"
    assert line["duplicates"] == 0 and line["missing"] == 0, f"{line}\n{st.procs.logs()}"
    return line


def test_a_worker_killed_with_sigkill_mid_batch_loses_and_doubles_nothing(stack):
    line = proven(stack, fs.sigkill(stack))
    assert line["in_flight_at_kill"] > 0  # the kill did land while a batch was out


def test_redis_restarted_with_tasks_queued_loses_nothing(needs_production_stack, transactional_db, fake_tripletex,
                                                        settings, tmp_path):
    if not fs.Redis.available():
        pytest.skip("redis-server is not installed: this scenario restarts a Redis of its own")
    with make_stack(settings, fake_tripletex, tmp_path, redis=fs.Redis(fs.Redis.free_port(), tmp_path)) as st:
        line = proven(st, fs.redis_restart(st))
    assert line["tasks_queued_at_restart"] > 0  # the restart did throw queued tasks away


def test_postgres_connections_terminated_mid_run_lose_and_double_nothing(stack):
    line = proven(stack, fs.postgres_terminated(stack))
    assert line["connections_terminated"] > 0


def test_tripletex_5xx_429_hangs_and_dropped_answers_lose_and_double_nothing(stack):
    proven(stack, fs.tripletex_faults(stack))


def test_a_key_revoked_mid_run_waits_for_a_new_key_and_the_other_companies_carry_on(stack):
    line = proven(stack, fs.key_revoked(stack))
    assert line["needs_new_key"] and line["admin_sees_it"] and line["others_untouched"], line


def test_webhooks_twice_out_of_order_and_forged_change_each_record_once_and_the_forged_nothing(stack):
    line = proven(stack, fs.webhooks(stack))
    assert line["forged_refused"] == SIZE.companies and line["forged_stored"] == 0, line
    assert not line["forged_changed_anything"], line


def test_two_workers_and_a_restarted_beat_send_once_and_miss_no_schedule(stack):
    line = proven(stack, fs.beat_restarted(stack))
    assert line["beat_sweeps"] >= 4 and line["doubled_sweeps"] == 0 and line["longest_gap_s"] < 2.5, line
