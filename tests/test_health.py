"""/healthz and /readyz: answered without login; /readyz tells the truth about the database and the broker."""
import pytest
from django.db import OperationalError, connections

from config import celery_app

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_ok_while_the_database_and_the_broker_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.fixture
def dead_broker(monkeypatch):
    """The broker moved to a port nobody listens on (Celery reads CELERY_BROKER_URL before its own setting)."""
    dead, before = "redis://127.0.0.1:1/0", celery_app.conf.broker_url
    monkeypatch.setenv("CELERY_BROKER_URL", dead)
    celery_app.conf.broker_url = dead
    yield
    celery_app.conf.broker_url = before


def test_readyz_names_the_broker_when_it_does_not_answer(client, dead_broker):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unreachable"}


def test_readyz_names_the_database_when_it_does_not_answer(client, monkeypatch):
    # The test database cannot be stopped under the test itself (SQLite's is in memory): its cursor fails
    # as a lost server's does.
    def lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connections["default"], "cursor", lost)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable", "broker": "ok"}
