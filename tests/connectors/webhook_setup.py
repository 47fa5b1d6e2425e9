"""Company A connected to its own company in the fake Tripletex, and probe connectors that record what the
platform hands them, for the webhook tests. Import the fixtures into a test module to use them."""
import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field

import pytest
from django_scopes import scope

from config import celery_app
from integrations.connectors import registry
from integrations.connectors.base import Connector
from integrations.connectors.services import connector_enable
from integrations.connectors.webhooks import _hmac_key
from integrations.models import Connection, WebhookSubscription

PROBE_EVENTS = ("project.create", "project.update", "customer.update")
OTHER_EVENTS = ("project.update", "employee.update")


@dataclass
class Probe:
    """A connector that only records: (kind, tripletex_id, event) per remote change, and its reconcile runs."""

    connector: Connector
    changes: list = field(default_factory=list)
    reconciles: list = field(default_factory=list)


def make_probe(name: str, events: tuple[str, ...]) -> Probe:
    probe = Probe(connector=None)
    probe.connector = registry.register(Connector(
        name=name, title=name, description=name, events=events,
        handle_remote_change=lambda ctx, kind, tripletex_id, event: probe.changes.append((kind, tripletex_id, event)),
        reconcile=lambda ctx: probe.reconciles.append(ctx.run.trigger),
    ))
    return probe


@pytest.fixture
def probe():
    made = make_probe("webhook_probe", PROBE_EVENTS)
    yield made
    registry._CONNECTORS.pop(made.connector.name, None)


@pytest.fixture
def other_probe():
    made = make_probe("webhook_other_probe", OTHER_EVENTS)
    yield made
    registry._CONNECTORS.pop(made.connector.name, None)


@pytest.fixture
def eager(settings, fake_tripletex):
    """The app talks to the fake; tasks run in the process that queues them."""
    settings.TRIPLETEX_BASE_URL = fake_tripletex.base_url
    settings.TRIPLETEX_CONSUMER_TOKEN = fake_tripletex.consumer_token
    settings.SITE_URL = "https://grjobb.example"
    before = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    yield settings
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before


@dataclass
class Tx:
    fake: object
    tenant: object
    connection: Connection
    company_id: int
    tokens: dict

    def remote_subscriptions(self) -> list[dict]:
        return self.fake.objects(self.company_id, "subscription")

    def ours(self) -> dict[str, WebhookSubscription]:
        with scope(tenant=self.tenant):
            return {s.event: s for s in WebhookSubscription.objects.filter(tenant=self.tenant)}

    def session(self, application: str = "GrønnJobb"):
        """The Tripletex API as another integration of the same company (or ours) sees it."""
        s = self.fake.session(employee_token=self.tokens[application],
                              consumer_token=self.fake.consumer_token_for(application))
        s.base = self.fake.base_url
        return s


def connect(fake, tenant) -> Tx:
    name = f"Hook {uuid.uuid4().hex[:6]} AS"
    info = fake.create_company(name, applications=["GrønnJobb", "Annen app"], employees=2, projects=3, customers=3)
    token = info["employee_tokens"]["GrønnJobb"]
    connection = Connection.objects.create(
        tenant=tenant, state=Connection.State.ACTIVE, employee_token=token, tripletex_company_id=info["id"],
        tripletex_company_name=name,
    )
    return Tx(fake=fake, tenant=tenant, connection=connection, company_id=info["id"], tokens=info["employee_tokens"])


@pytest.fixture
def tx(world, fake_tripletex, eager) -> Tx:
    return connect(fake_tripletex, world.a)


def enable(tx: Tx, probe: Probe, capture) -> None:
    """Switch the probe on as the admin would; the subscriptions are made when the transaction commits, by the
    task outside this scope, which enters its own."""
    with capture(execute=True), scope(tenant=tx.tenant):
        connector_enable(tenant=tx.tenant, name=probe.connector.name, by=None)
    tx.connection.refresh_from_db()


def signed(secret: str, payload: dict, *, idempotency_key: str | None = None, authorization: str | None = None,
           signature: str | None = None) -> dict:
    """The request Tripletex would make for `payload`: Django test client keyword arguments."""
    body = json.dumps(payload).encode()
    headers = {"Authorization": authorization if authorization is not None else f"Bearer {secret}"}
    if idempotency_key is not None:
        headers["idempotency-key"] = idempotency_key
        mac = hmac.new(_hmac_key(secret), idempotency_key.encode() + b"&" + body, hashlib.sha512).digest()
        headers["x-request-signature"] = signature if signature is not None else base64.b64encode(mac).decode()
    return {"data": body, "content_type": "application/json", "headers": headers}
