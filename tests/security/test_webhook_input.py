"""Tripletex's webhook address with generated bodies: whatever arrives, even signed with the right secret,
the answer is a 2xx or 4xx, never a 500 (Tripletex would retry, then switch the subscription off)."""
import uuid

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.models import Connection, WebhookSubscription
from tests.connectors.webhook_setup import signed

from .strategies import text_like

pytestmark = pytest.mark.django_db

SECRET = "webhook-hemmelighet-for-test"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | text_like,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
ids = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), text_like, st.none())
# Tripletex's events are "thing.action": odd text on either side of the dot gets past a check for the dot.
dotted = st.builds("{}.{}".format, text_like, text_like)
events = st.one_of(dotted, dotted, json_values)
# A delivery as Tripletex sends it, with one of its fields odd, so the odd value gets past the checks before it.
GOOD = {"subscriptionId": 41, "event": "project.update", "id": 4711, "value": {"id": 4711, "version": 3}}
deliveries = st.one_of(
    st.builds(lambda v: {**GOOD, "subscriptionId": v}, ids), st.builds(lambda v: {**GOOD, "event": v}, events),
    st.builds(lambda v: {**GOOD, "id": v}, ids), st.builds(lambda v: {**GOOD, "value": v}, json_values),
    st.builds(lambda v: {**GOOD, "value": {"id": 4711, "version": v}}, ids),
)


@pytest.fixture
def address(world):
    connection = Connection.objects.create(tenant=world.a, state=Connection.State.ACTIVE, tripletex_company_id=1,
                                           employee_token="alfa-token", webhook_secret=SECRET)
    WebhookSubscription.objects.create(tenant=world.a, connector="master_data", event="project.update",
                                       tripletex_company_id=1, tripletex_id=41)
    return f"/webhooks/tripletex/{connection.webhook_key}/"


@settings(max_examples=300)  # cheap: no Tripletex, one insert at most
@given(payload=st.one_of(deliveries, json_values))
def test_any_signed_delivery_gets_an_answer_not_a_server_error(address, payload, django_capture_on_commit_callbacks):
    client = Client(raise_request_exception=False)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(address, **signed(SECRET, payload, idempotency_key=str(uuid.uuid4())))
    assert response.status_code in (200, 400, 410), (payload, response.status_code)


@given(body=st.binary(max_size=200))
def test_any_body_without_the_secret_is_refused(address, body):
    response = Client(raise_request_exception=False).post(address, body, content_type="application/json")
    assert response.status_code == 403
