"""Companies connected to their own companies in the fake Tripletex, each backend of the shared rate budget, and
a record of every answer a client got (status and calls left), for the rate budget tests."""
from __future__ import annotations

import itertools
import os
import threading

import pytest
import redis
import requests
from django_scopes import scopes_disabled

from integrations.models import Connection
from integrations.ratebudget import KEY_PREFIX

REDIS_URL = os.environ.get("RATE_BUDGET_TEST_REDIS_URL", "redis://127.0.0.1:6379/6")
HEADROOM = 3
_names = itertools.count(1)


def _clear_redis(client: redis.Redis) -> None:
    # The fake numbers its companies from 1 again in every test session, so old counts would be read as new.
    for key in client.scan_iter(f"{KEY_PREFIX}*"):
        client.delete(key)


@pytest.fixture(params=["database", "redis"])
def backend(request, settings):
    if request.param == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        try:
            client.ping()
        except redis.ConnectionError:
            pytest.skip(f"no Redis at {REDIS_URL}")
        _clear_redis(client)
        settings.RATE_BUDGET_URL = REDIS_URL
        yield request.param
        _clear_redis(client)
    else:
        settings.RATE_BUDGET_URL = "database"
        yield request.param


@pytest.fixture
def tripletex_settings(settings, fake_tripletex):
    settings.TRIPLETEX_BASE_URL = fake_tripletex.base_url
    settings.TRIPLETEX_CONSUMER_TOKEN = fake_tripletex.consumer_token
    settings.TRIPLETEX_RATE_LIMIT_HEADROOM = HEADROOM
    return settings


@scopes_disabled()
def connect(fake, tenant, *, company: dict | None = None) -> Connection:
    """The tenant's active connection to a new company in the fake (or to `company`, already made)."""
    if company is None:
        company = fake.create_company(f"Budsjett {next(_names)} AS", applications=["GrønnJobb"])
    return Connection.objects.create(
        tenant=tenant, state=Connection.State.ACTIVE, employee_token=company["employee_tokens"]["GrønnJobb"],
        tripletex_company_id=company["id"], tripletex_company_name=company["name"],
    )


class Answers:
    """Every answer the clients made with `session()` got: its status and the calls Tripletex said were left."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.statuses: list[int] = []
        self.remaining: list[int] = []

    def session(self) -> requests.Session:
        http = requests.Session()
        http.hooks["response"].append(self._record)
        return http

    def _record(self, response: requests.Response, *args, **kwargs) -> None:
        with self._lock:
            self.statuses.append(response.status_code)
            if "X-Rate-Limit-Remaining" in response.headers:
                self.remaining.append(int(response.headers["X-Rate-Limit-Remaining"]))
