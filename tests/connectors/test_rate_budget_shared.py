"""One Tripletex rate budget per Tripletex company, shared by every worker: against the fake over HTTP with a small
limit, on the database and on Redis."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from django.db import connection as db

from integrations.clients import client_for_connection
from integrations.ratebudget import budget_for_connection
from integrations.tripletex import RateLimited
from tests.factories import TenantFactory

from .rate_budget_setup import HEADROOM, REDIS_URL, Answers, backend, connect, tripletex_settings  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.django_db(transaction=True)

LIMIT, WINDOW = 16, 2
# Like Celery tasks: each makes its own client (and session), makes a few calls and is gone.
TASKS, CALLS_PER_TASK = 6, 3


def _worker(connection, answers: Answers, errors: list) -> None:
    try:
        for _ in range(TASKS):
            with client_for_connection(connection, http=answers.session()) as client:
                for _ in range(CALLS_PER_TASK):
                    client.who_am_i(fields="companyId")
    except Exception as exc:  # reported by the test, not lost in the thread
        errors.append(exc)
    finally:
        db.close()


def test_two_workers_of_one_company_never_get_a_429_nor_eat_into_the_headroom(
    backend, tripletex_settings, fake_tripletex
):
    fake_tripletex.set_rate_limit(LIMIT, WINDOW)
    connection = connect(fake_tripletex, TenantFactory())
    answers, errors = Answers(), []
    threads = [threading.Thread(target=_worker, args=(connection, answers, errors)) for _ in range(2)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    seconds = time.monotonic() - started

    assert errors == []
    assert len(answers.statuses) == 2 * TASKS * (1 + CALLS_PER_TASK)  # a session per task, then its calls
    assert 429 not in answers.statuses
    # A count can be off by the other worker's call in flight, never by more.
    assert min(answers.remaining) >= HEADROOM - 1, '\n'.join(map(str, answers.log))
    # Paced, not serialised: 48 calls at 13 a window need 3 more windows, each at most a second late.
    assert seconds < 4 * (WINDOW + 1)


def test_a_429_seen_by_one_worker_makes_every_worker_of_the_company_wait(backend, tripletex_settings, fake_tripletex):
    connection = connect(fake_tripletex, TenantFactory())
    first = client_for_connection(connection)
    first.who_am_i(fields="companyId")
    fake_tripletex.set_faults(company_id=connection.tripletex_company_id, burst_429=1, reset_seconds=5)
    with pytest.raises(RateLimited):
        client_for_connection(connection, max_rate_limit_wait=1).who_am_i(fields="companyId")
    fake_tripletex.clear_faults()

    other_worker = budget_for_connection(connection)
    assert 3 < other_worker.reserve().wait <= 5
    first.close()


def test_one_companys_spent_budget_does_not_slow_another_company(backend, tripletex_settings, fake_tripletex):
    fake_tripletex.set_rate_limit(LIMIT, 30)
    busy = connect(fake_tripletex, TenantFactory())
    calm = connect(fake_tripletex, TenantFactory())
    with client_for_connection(busy, max_rate_limit_wait=1) as client:
        for _ in range(LIMIT - HEADROOM - 1):
            client.who_am_i(fields="companyId")
        with pytest.raises(RateLimited):
            client.who_am_i(fields="companyId")

    started = time.monotonic()
    with client_for_connection(calm, max_rate_limit_wait=0) as client:
        for _ in range(LIMIT - HEADROOM - 1):
            client.who_am_i(fields="companyId")
    assert time.monotonic() - started < 5
    assert budget_for_connection(busy).reserve().wait > 20


def test_two_companies_here_on_one_tripletex_company_share_its_budget(backend, tripletex_settings, fake_tripletex):
    fake_tripletex.set_rate_limit(LIMIT, 30)
    one = connect(fake_tripletex, TenantFactory())
    company = {"id": one.tripletex_company_id, "name": one.tripletex_company_name,
               "employee_tokens": {"GrønnJobb": one.employee_token}}
    other = connect(fake_tripletex, TenantFactory(), company=company)
    with client_for_connection(one) as client:
        for _ in range(LIMIT - HEADROOM - 1):
            client.who_am_i(fields="companyId")
    answers = Answers()
    with pytest.raises(RateLimited), client_for_connection(other, max_rate_limit_wait=1, http=answers.session()) as c:
        c.who_am_i(fields="companyId")
    assert answers.statuses == []  # not even a session: the budget was known to be spent before any call


# A worker process of its own: Django set up from the environment, a client for the company, its calls, and
# what it saw as JSON on stdout.
WORKER = textwrap.dedent("""
    import json, sys
    import django
    django.setup()
    import requests
    from integrations.clients import tripletex_client
    seen = []
    http = requests.Session()
    http.hooks["response"].append(lambda r, *a, **k: seen.append(
        [r.status_code, int(r.headers.get("X-Rate-Limit-Remaining", -1))]))
    job = json.load(sys.stdin)  # not in argv: a token has no business in a process list
    token, company_id, tasks, calls = job["token"], job["company_id"], job["tasks"], job["calls"]
    for _ in range(tasks):
        with tripletex_client(employee_token=token, tripletex_company_id=company_id, http=http) as client:
            for _ in range(calls):
                client.who_am_i(fields="companyId")
    print(json.dumps(seen))
""")


@pytest.mark.slow
def test_two_worker_processes_sharing_the_budget_in_redis_never_get_a_429(tripletex_settings, fake_tripletex):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    fake_tripletex.set_rate_limit(LIMIT, WINDOW)
    connection = connect(fake_tripletex, TenantFactory())
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "RATE_BUDGET_URL": REDIS_URL,
        "TRIPLETEX_BASE_URL": tripletex_settings.TRIPLETEX_BASE_URL,
        "TRIPLETEX_CONSUMER_TOKEN": tripletex_settings.TRIPLETEX_CONSUMER_TOKEN,
        "TRIPLETEX_RATE_LIMIT_HEADROOM": str(HEADROOM),
        "LOG_LEVEL": "WARNING",
    }
    job = json.dumps({"token": connection.employee_token, "company_id": connection.tripletex_company_id,
                      "tasks": TASKS, "calls": CALLS_PER_TASK})
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for worker in workers:
        worker.stdin.write(job)
        worker.stdin.close()
    seen = []
    for worker in workers:
        out = worker.stdout.read()
        err = worker.stderr.read()
        worker.wait(120)
        assert worker.returncode == 0, err[-3000:]
        seen += json.loads(out)

    assert len(seen) == 2 * TASKS * (1 + CALLS_PER_TASK)
    assert 429 not in [status for status, _ in seen]
    assert min(remaining for _, remaining in seen) >= HEADROOM - 1
