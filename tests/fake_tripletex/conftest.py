"""Helpers shared by the fake Tripletex tests."""
import datetime as dt

import pytest
import requests


@pytest.fixture
def api(fake_tripletex):
    """An authenticated session for the demo company's GrønnJobb token, plus the base URL."""
    s = fake_tripletex.session()
    s.base = fake_tripletex.base_url
    return s


def create_session(fake, employee_token, consumer_token=None, expiration=None):
    return requests.put(f"{fake.base_url}/token/session/:create", timeout=10, params={
        "consumerToken": consumer_token or fake.consumer_token,
        "employeeToken": employee_token,
        "expirationDate": (expiration or dt.date.today() + dt.timedelta(days=1)).isoformat()})


def ids(s, path, **params):
    return [v["id"] for v in s.get(s.base + path, params={"fields": "id", **params}).json()["values"]]
