"""What a real server cannot easily produce: unreadable bodies, a 429 without reset header, a socket drop.

`responses` stands in for Tripletex here only; everything else runs against the fake over real HTTP.
"""

from __future__ import annotations

import logging

import pytest
import requests
import responses

from integrations.tripletex import InDoubt, RateLimited, RetryPolicy, ServerError, TripletexClient

BASE = "https://tripletex.test/v2"
CONSUMER = "consumer-token-xyz"
EMPLOYEE = "employee-token-abc"
SESSION = "session-token-123"


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(sleeps):
    tx = TripletexClient(
        base_url=BASE,
        consumer_token=CONSUMER,
        employee_token=EMPLOYEE,
        sleep=sleeps.append,
        retry=RetryPolicy(attempts=3, base=0.1, cap=1.0),
        max_rate_limit_wait=20.0,
        rand=lambda: 0.5,
    )
    yield tx
    tx.close()


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.put(
            f"{BASE}/token/session/:create",
            json={"value": {"token": SESSION, "expirationDate": "2999-01-01"}},
        )
        yield rsps


def test_unreadable_json_on_a_read_is_retried_then_raised_as_transient(client, mocked):
    mocked.get(f"{BASE}/employee/1", body="{not json", content_type="application/json")
    with pytest.raises(ServerError) as info:
        client.employee_get(1)
    assert info.value.permanent is False
    assert len([c for c in mocked.calls if "/employee/1" in c.request.url]) == 3


def test_unreadable_json_after_a_post_is_in_doubt_not_retried(client, mocked):
    mocked.post(f"{BASE}/employee", body="<html>oops", status=201, content_type="text/html")
    with pytest.raises(InDoubt):
        client.employee_create({"firstName": "Kari", "lastName": "Nordmann"})
    assert len([c for c in mocked.calls if c.request.method == "POST"]) == 1


def test_connection_dropped_after_a_post_was_sent_is_in_doubt(client, mocked):
    mocked.post(f"{BASE}/customer", body=requests.exceptions.ConnectionError("Connection aborted."))
    with pytest.raises(InDoubt) as info:
        client.customer_create({"name": "Acme"})
    assert info.value.permanent is False
    assert len([c for c in mocked.calls if c.request.method == "POST"]) == 1


def test_429_without_reset_header_backs_off_then_succeeds(client, mocked, sleeps):
    mocked.get(f"{BASE}/salary/type", status=429, json={"status": 429, "message": "Too many requests"})
    mocked.get(f"{BASE}/salary/type", json={"fullResultSize": 1, "from": 0, "count": 1, "values": [{"id": 7}]})
    assert client.salary_type_list() == [{"id": 7}]
    assert len(sleeps) == 1 and sleeps[0] > 0


def test_rate_limit_wait_beyond_the_cap_raises_rate_limited_without_waiting(client, mocked, sleeps):
    mocked.get(
        f"{BASE}/employee",
        status=429,
        headers={"X-Rate-Limit-Reset": "3600", "X-Rate-Limit-Remaining": "0"},
        json={"status": 429, "message": "Too many requests"},
    )
    with pytest.raises(RateLimited) as info:
        client.employee_list()
    assert info.value.reset_after == 3600
    assert info.value.permanent is False
    assert sleeps == []


def test_no_token_in_exceptions_or_logs_when_session_creation_cannot_connect(caplog, sleeps):
    tx = TripletexClient(
        base_url=BASE, consumer_token=CONSUMER, employee_token=EMPLOYEE, sleep=sleeps.append,
        retry=RetryPolicy(attempts=2, base=0.01, cap=0.01),
    )
    caplog.set_level(logging.DEBUG)
    with responses.RequestsMock() as rsps:
        rsps.put(
            f"{BASE}/token/session/:create",
            body=requests.exceptions.ConnectionError(f"Max retries exceeded with url: ?consumerToken={CONSUMER}"),
        )
        with pytest.raises(Exception) as info:
            tx.who_am_i()
    text = f"{info.value!s} {info.value!r} {info.value.__cause__!r} {info.value.__context__!r}" + caplog.text
    assert CONSUMER not in text and EMPLOYEE not in text
