"""The shared rate budget's rules that need no worker pool: keys, atomicity, missing headers, the calls counted
per minute, and "API-kall siste time" on the page."""
from __future__ import annotations

import threading
import time

import pytest
from django.db import connection as db
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from integrations.clients import client_for_connection
from integrations.models import Connection
from integrations.ratebudget import (
    DatabaseBudget, budget_for_company, budget_for_connection, budget_key_for_connection,
)
from integrations.selectors import rate_budget_status
from tests.factories import TenantFactory
from tests.hours.conftest import approve, make_tx, push_all

from .rate_budget_setup import HEADROOM, backend, connect, tripletex_settings  # noqa: F401

QUOTA = {"X-Rate-Limit-Limit": "100", "X-Rate-Limit-Remaining": "60", "X-Rate-Limit-Reset": "8"}


def _answer(budget, headers) -> None:
    budget.observe(headers, budget.reserve())


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_both_take_the_last_call(backend, settings):
    settings.TRIPLETEX_RATE_LIMIT_HEADROOM = HEADROOM
    _answer(budget_for_company(501), {**QUOTA, "X-Rate-Limit-Remaining": str(HEADROOM + 10)})
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        budget = budget_for_company(501)  # each worker its own handle on the one budget
        try:
            for _ in range(15):
                wait = budget.reserve().wait
                with lock:
                    waits.append(wait)
        finally:
            db.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(waits) == 60
    assert waits.count(0) == 10


@pytest.mark.django_db
def test_a_call_costs_the_database_one_short_query_once_the_window_is_known(django_assert_num_queries):
    budget = DatabaseBudget("company:507", headroom=HEADROOM)
    _answer(budget, QUOTA)
    with django_assert_num_queries(1):
        _answer(budget, {**QUOTA, "X-Rate-Limit-Remaining": "59"})


@pytest.mark.django_db
def test_answers_without_rate_limit_headers_never_make_anyone_wait(backend):
    budget = budget_for_company(502)
    waits = []
    for headers in ({}, {"X-Rate-Limit-Remaining": "mange"}, {"X-Rate-Limit-Reset": "5"}) * 10:
        reservation = budget.reserve()
        waits.append(reservation.wait)
        budget.observe(headers, reservation)
    assert waits == [0] * 30
    status = budget.status()
    assert (status.calls_last_hour, status.limit, status.remaining, status.resets_at) == (30, None, None, None)


@pytest.mark.django_db
def test_a_count_without_a_reset_time_never_makes_anyone_wait(backend):
    budget = budget_for_company(503)
    _answer(budget, {"X-Rate-Limit-Remaining": "0"})
    assert [budget.reserve().wait for _ in range(5)] == [0] * 5


@pytest.mark.django_db
def test_status_shows_the_limit_what_is_left_and_when_it_resets(backend):
    budget = budget_for_company(504)
    _answer(budget, QUOTA)
    budget.reserve()
    budget.reserve()
    status = budget.status()
    assert (status.calls_last_hour, status.limit, status.remaining) == (3, 100, 58)
    assert 7 < (status.resets_at - timezone.now()).total_seconds() <= 8


@pytest.mark.django_db
def test_status_after_the_reset_shows_the_whole_limit_left(backend):
    budget = budget_for_company(505)
    _answer(budget, {**QUOTA, "X-Rate-Limit-Reset": "0.2"})
    time.sleep(0.3)
    status = budget.status()
    assert (status.calls_last_hour, status.limit, status.remaining, status.resets_at) == (1, 100, 100, None)


@pytest.mark.django_db
def test_calls_last_hour_counts_each_minute_and_forgets_older_ones():
    now = [1_800_000_000.0]  # the start of a minute
    budget = DatabaseBudget("company:506", headroom=HEADROOM, clock=lambda: now[0])
    for minutes_later, calls in ((0, 4), (1, 3), (30, 2), (61, 1)):
        now[0] = 1_800_000_000.0 + minutes_later * 60
        for _ in range(calls):
            budget.reserve()
    # At minute 61 the last hour is minutes 2 to 61: the 4 calls of minute 0 and 3 of minute 1 are past.
    assert budget.status().calls_last_hour == 3
    now[0] += 29 * 60
    assert budget.status().calls_last_hour == 1


@pytest.mark.django_db
def test_a_budget_is_per_tripletex_company_and_its_key_never_holds_the_token():
    a, b, c, d = TenantFactory(), TenantFactory(), TenantFactory(), TenantFactory()
    token = "hemmelig-nokkel-123"
    not_checked = Connection.objects.create(tenant=a, state=Connection.State.NEW, employee_token=token)
    also_not_checked = Connection.objects.create(tenant=d, state=Connection.State.NEW, employee_token=token)
    one = Connection.objects.create(tenant=b, state=Connection.State.ACTIVE, employee_token=token,
                                    tripletex_company_id=77)
    same_company = Connection.objects.create(tenant=c, state=Connection.State.ACTIVE, employee_token="annen",
                                             tripletex_company_id=77)
    key = budget_key_for_connection(not_checked)
    assert key.startswith("connection:") and token not in key
    assert budget_key_for_connection(also_not_checked) != key
    assert budget_key_for_connection(one) == budget_key_for_connection(same_company) == "company:77"


@pytest.mark.django_db
def test_the_hours_push_counts_every_call_against_the_companys_budget(backend, tripletex_settings, fake_tripletex):
    with scopes_disabled():
        tx = make_tx(fake_tripletex, TenantFactory())
        entries = [tx.entry(emp=e, day=d) for e in range(2) for d in range(3)]
    approve(tx, entries)
    push_all(tx.tenant)
    made = sum(fake_tripletex.calls(tx.company_id).values())
    assert made > 0
    with scope(tenant=tx.tenant):
        connection = Connection.objects.get(tenant=tx.tenant)
    assert budget_for_connection(connection).status().calls_last_hour == made


@pytest.mark.django_db
def test_rate_budget_status_is_none_without_an_active_connection(world):
    with scope(tenant=world.a):
        assert rate_budget_status(tenant=world.a) is None
        Connection.objects.create(tenant=world.a, state=Connection.State.REMOVED, tripletex_company_id=78)
        assert rate_budget_status(tenant=world.a) is None


@pytest.mark.django_db
@pytest.mark.parametrize("page_name", ["integrations:hours", "integrations:connectors"])
def test_the_pages_show_api_calls_in_the_last_hour_what_is_left_and_the_reset(world, backend, page_name):
    with scope(tenant=world.a):
        Connection.objects.create(tenant=world.a, state=Connection.State.ACTIVE, employee_token="t",
                                  tripletex_company_id=79)
        budget = budget_for_company(79)
        _answer(budget, QUOTA)
        budget.reserve()
        status = rate_budget_status(tenant=world.a)
    assert status["calls_last_hour"] == 2 and status["remaining"] == 59

    page = world.client_for(world.alice, world.a).get(reverse(page_name)).content.decode()
    resets = timezone.localtime(status["resets_at"])
    assert "API-kall siste time" in page
    assert "59 av 100 gjenstår" in page
    assert f"nullstilles {resets:%H:%M:%S}" in page


@pytest.mark.django_db
def test_another_companys_budget_is_not_on_the_page(world, backend):
    Connection.objects.create(tenant=world.a, state=Connection.State.ACTIVE, employee_token="t",
                              tripletex_company_id=80)
    Connection.objects.create(tenant=world.b, state=Connection.State.ACTIVE, employee_token="u",
                              tripletex_company_id=81)
    other = budget_for_company(81)
    for _ in range(7):
        _answer(other, {**QUOTA, "X-Rate-Limit-Remaining": "13"})
    page = world.client_for(world.alice, world.a).get(reverse("integrations:hours")).content.decode()
    assert "13 av 100" not in page and "12 av 100" not in page
    with scope(tenant=world.a):
        assert rate_budget_status(tenant=world.a)["calls_last_hour"] == 0


def test_a_client_for_a_connection_draws_on_the_shared_budget(settings):
    settings.RATE_BUDGET_URL = "database"
    settings.TRIPLETEX_CONSUMER_TOKEN = "forbruker"
    connection = Connection(state=Connection.State.ACTIVE, employee_token="t", tripletex_company_id=82)
    with client_for_connection(connection) as client:
        assert isinstance(client.transport.limiter, DatabaseBudget)
        assert client.transport.limiter.key == "company:82"
