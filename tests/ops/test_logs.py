"""Production logs: one JSON line per request and per task, with request id, company and duration; no secret."""
import io
import json
import logging

import pytest
from django.conf import settings
from django.test import Client
from django.utils.module_loading import import_string
from django_scopes import scope

from api.services import api_key_create
from config.logs import ContextFilter, _context
from tests.hours.workers import Workers, wait_for

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log():
    """The production formatter (settings.LOGGING's "json") on the root logger, at DEBUG, for one test."""
    conf = dict(settings.LOGGING["formatters"]["json"])
    formatter = import_string(conf.pop("()"))(**conf)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    before = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(before)


def request_lines(lines):
    return [line for line in lines if line["logger"] == "grjobb.request"]


def test_a_page_request_is_one_json_line_with_its_request_id_company_and_duration(world, json_log):
    client = world.client_for(world.alice, world.a)
    response = client.get("/timeliste/")
    assert response.status_code == 200
    [line] = request_lines(json_log())
    assert line["request_id"] == response["X-Request-ID"] and len(line["request_id"]) >= 8
    assert line["tenant"] == world.a.slug
    assert line["status"] == 200 and line["method"] == "GET" and line["path"] == "/timeliste/"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")


def test_an_api_request_is_logged_with_the_keys_company(world, json_log):
    key = api_key_create(tenant=world.b, name="Lønn", by=world.bob)[1]
    response = Client().get("/api/v1/employees/", HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == 200
    [line] = request_lines(json_log())
    assert line["tenant"] == world.b.slug and line["status"] == 200


def test_a_request_id_from_the_proxy_is_kept_and_a_strange_one_replaced(world, json_log):
    client = Client()
    kept = client.get("/logg-inn/", HTTP_X_REQUEST_ID="lb-1234abcd")
    replaced = client.get("/logg-inn/", HTTP_X_REQUEST_ID='x" \n{"level": "forged"}')
    assert kept["X-Request-ID"] == "lb-1234abcd"
    assert replaced["X-Request-ID"] != 'x" \n{"level": "forged"}' and "\n" not in replaced["X-Request-ID"]
    assert [line["request_id"] for line in request_lines(json_log())] == ["lb-1234abcd", replaced["X-Request-ID"]]


def test_no_token_key_or_password_reaches_the_log(world, json_log):
    password, token, secret = "Passord-hemmelig-9911", "qs-token-hemmelig-7733", "body-secret-hemmelig-5522"
    key = api_key_create(tenant=world.a, name="Lønn", by=world.alice)[1]
    client = Client()
    client.post("/logg-inn/", {"username": world.alice.email, "password": password})
    client.post("/logg-inn/", {"username": world.alice.email, "password": PASSWORD})
    client.get(f"/timeliste/?token={token}&api_key={key}")
    api = Client()
    api.get(f"/api/v1/employees/?token={token}", HTTP_AUTHORIZATION=f"Api-Key {key}")
    api.post("/api/v1/employees/", {"first_name": secret, "password": password}, content_type="application/json",
             HTTP_AUTHORIZATION=f"Api-Key {key}")
    api.get("/api/v1/employees/", HTTP_AUTHORIZATION=f"Api-Key {key}x")  # a wrong key is not logged either
    lines = json_log()
    assert len(request_lines(lines)) == 6  # every request was logged
    text = json.dumps(lines)
    for name, value in {"password": password, "token": token, "API key": key, "body": secret}.items():
        assert value not in text, f"the {name} is in the log"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_task_logs_one_json_line_with_the_request_id_and_company_that_queued_it(world, tmp_path):
    from api.tasks import prune_idempotency_keys

    workers = Workers(tmp_path, {"LOG_FORMAT": "json"})
    try:
        workers.start()
        token = _context.set({"request_id": "req-from-web-42"})
        try:
            with scope(tenant=world.a):
                prune_idempotency_keys.apply_async(queue=workers.queue)
        finally:
            _context.reset(token)

        def task_line():
            for text in (tmp_path / "worker0.log").read_text().splitlines():
                if text.startswith("{") and json.loads(text)["logger"] == "grjobb.task":
                    return json.loads(text)
            return None

        wait_for(lambda: task_line() is not None, timeout=30, what="the task's log line", workers=workers)
        line = task_line()
        assert line["task"] == "api.tasks.prune_idempotency_keys" and line["state"] == "SUCCESS"
        assert line["request_id"] == "req-from-web-42" and line["tenant"] == world.a.slug
        assert line["duration_ms"] >= 0 and line["task_id"]
    finally:
        workers.stop_all()
