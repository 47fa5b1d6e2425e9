"""A fresh fake Tripletex company per test, and a client for it that never really sleeps."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from integrations.tripletex import RetryPolicy, TripletexClient

APPLICATION = "GrønnJobb"
_names = itertools.count(1)


class Sleeps(list):
    """Records the waits the client asked for, so rate-limit and backoff tests run in milliseconds."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def company(fake_tripletex):
    return fake_tripletex.create_company(f"Klienttest {next(_names)} AS", applications=[APPLICATION, "Annen app"])


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def make_client(fake_tripletex, company, sleeps):
    made = []

    def make(**overrides) -> TripletexClient:
        kwargs = {
            "base_url": fake_tripletex.base_url,
            "consumer_token": fake_tripletex.consumer_token,
            "employee_token": company["employee_tokens"][APPLICATION],
            "sleep": sleeps,
            "retry": RetryPolicy(attempts=3, base=0.05, cap=0.2),
            "connect_timeout": 2.0,
            "read_timeout": 5.0,
            **overrides,
        }
        client = TripletexClient(**kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def tx(make_client):
    return make_client()


@pytest.fixture
def today():
    return dt.date.today()
