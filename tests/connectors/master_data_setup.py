"""A company connected to its own company in the fake Tripletex, with the two-way master-data connector on.

Reconcile runs go through the Celery task itself, webhook events through the runner in the company's scope as
the delivery task enters it, and the fake is changed "as a Tripletex user would" through its control API.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from django_scopes import scope, scopes_disabled

from integrations import clients, tasks
from integrations.connectors import runner
from integrations.models import Connection, ConnectorConfig, Link, SyncRecord, SyncRun
from integrations.tripletex import RetryPolicy
from tests.fixtures.fake_tripletex import FakeTripletex

NAME = "master_data"


@dataclass
class Md:
    fake: FakeTripletex
    tenant: object
    company_id: int
    connection: Connection
    config: ConnectorConfig

    # runs, as the tasks start them
    def reconcile(self) -> SyncRun:
        run = SyncRun.objects.create(tenant=self.tenant, kind=SyncRun.Kind.CONNECTOR, connector=NAME,
                                     trigger=SyncRun.Trigger.MANUAL)
        tasks.connector_run(run.id)
        run.refresh_from_db()
        self.config.refresh_from_db()
        return run

    def webhook(self, kind: str, tripletex_id: int, event: str | None = None) -> SyncRun | None:
        with scope(tenant=self.tenant):
            return runner.remote_change_process(tenant=self.tenant, connector_name=NAME, kind=kind,
                                                tripletex_id=tripletex_id, event=event or f"{kind}.update")

    # Tripletex, as its users change it
    def objects(self, kind: str) -> list[dict]:
        return self.fake.objects(self.company_id, kind)

    def get(self, kind: str, tripletex_id: int) -> dict:
        return next(o for o in self.objects(kind) if o["id"] == tripletex_id)

    def change(self, kind: str, tripletex_id: int, **fields) -> dict:
        return self.fake.change(self.company_id, kind, tripletex_id, **fields)

    def create(self, kind: str, **fields) -> dict:
        return self.fake.change(self.company_id, kind, **fields)

    def delete(self, kind: str, tripletex_id: int) -> None:
        self.fake.change(self.company_id, kind, tripletex_id, delete=True)

    def calls(self) -> dict[str, int]:
        return self.fake.calls(self.company_id)

    # our side
    def link(self, kind: str, tripletex_id: int) -> Link | None:
        with scope(tenant=self.tenant):
            return Link.objects.filter(tenant=self.tenant, tripletex_company_id=self.company_id, kind=kind,
                                       tripletex_id=tripletex_id).first()

    def row(self, kind: str, tripletex_id: int):
        from integrations.connectors.master_data.local import MODELS

        link = self.link(kind, tripletex_id)
        with scope(tenant=self.tenant):
            return MODELS[kind].objects.get(id=link.local_id) if link else None

    def records(self, run: SyncRun, **filters) -> list[SyncRecord]:
        with scope(tenant=self.tenant):
            return list(SyncRecord.objects.filter(run=run, **filters))

    def record(self, run: SyncRun, tripletex_id: int) -> SyncRecord:
        (record,) = self.records(run, tripletex_id=tripletex_id)
        return record


@scopes_disabled()
def connect(fake: FakeTripletex, tenant, *, company_id: int | None = None, token: str | None = None,
            enabled: bool = True, **sizes) -> Md:
    """Our company connected to a new Tripletex company of `sizes` (or to an existing one)."""
    if company_id is None:
        sizes = {"employees": 4, "projects": 3, "customers": 3, **sizes}
        info = fake.create_company(f"Toveis {uuid.uuid4().hex[:6]} AS", applications=["GrønnJobb"], **sizes)
        company_id, token = info["id"], info["employee_tokens"]["GrønnJobb"]
    connection = Connection.objects.create(tenant=tenant, state=Connection.State.ACTIVE, employee_token=token,
                                           tripletex_company_id=company_id, tripletex_company_name="Toveis AS")
    config = ConnectorConfig.objects.create(tenant=tenant, name=NAME, enabled=enabled)
    return Md(fake=fake, tenant=tenant, company_id=company_id, connection=connection, config=config)


@pytest.fixture
def tripletex_settings(settings, fake_tripletex, monkeypatch):
    """The app pointed at the fake, failing fast: a 5xx is not retried with backoff in a test."""
    settings.TRIPLETEX_BASE_URL = fake_tripletex.base_url
    settings.TRIPLETEX_CONSUMER_TOKEN = fake_tripletex.consumer_token
    overrides = {"retry": RetryPolicy(attempts=1)}
    monkeypatch.setattr(runner, "pooled_client_for_connection",
                        lambda connection: clients.pooled_client_for_connection(connection, **overrides))
    yield overrides
    clients.close_pooled_clients()


@pytest.fixture
def md(world, fake_tripletex, tripletex_settings) -> Md:
    return connect(fake_tripletex, world.a)


@pytest.fixture
def synced(md) -> Md:
    """After a first successful reconcile: everything in the small Tripletex company is here and linked."""
    run = md.reconcile()
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    return md
