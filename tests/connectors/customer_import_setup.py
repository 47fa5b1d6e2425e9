"""A company connected to its own company in the fake Tripletex, with the customer import (seed 002) on."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from django_scopes import scope, scopes_disabled

from integrations import tasks
from integrations.connectors.customer_import import NAME
from integrations.models import Connection, ConnectorConfig, Link, SyncRecord, SyncRun
from tests.fixtures.fake_tripletex import FakeTripletex


@dataclass
class Imp:
    fake: FakeTripletex
    tenant: object
    company_id: int
    connection: Connection
    config: ConnectorConfig

    def run(self) -> SyncRun:
        with scopes_disabled():
            run = SyncRun.objects.create(tenant=self.tenant, kind=SyncRun.Kind.CONNECTOR, connector=NAME,
                                         trigger=SyncRun.Trigger.MANUAL)
        # The queued task itself, run here: it must enter the company's scope on its own.
        tasks.connector_run(run.id)
        run.refresh_from_db()
        self.config.refresh_from_db()
        return run

    def customers(self) -> list[dict]:
        return self.fake.objects(self.company_id, "customer")

    def read(self, tripletex_id: int) -> dict:
        """One customer with its address and country, as Tripletex's API gives it."""
        session = self.fake.session(employee_token=self.connection.employee_token)
        r = session.get(f"{self.fake.base_url}/customer/{tripletex_id}",
                        params={"fields": "*,postalAddress(*,country(*)),currency(*)"}, timeout=10)
        r.raise_for_status()
        return r.json()["value"]

    def change(self, tripletex_id: int | None = None, **fields) -> dict:
        return self.fake.change(self.company_id, "customer", tripletex_id, **fields)

    def calls(self) -> dict[str, int]:
        return self.fake.calls(self.company_id)

    def row(self, tripletex_id: int):
        from hr.models import Customer

        with scope(tenant=self.tenant):
            link = Link.objects.filter(tenant=self.tenant, tripletex_company_id=self.company_id, kind="customer",
                                       tripletex_id=tripletex_id).first()
            return Customer.objects.get(id=link.local_id) if link else None

    def records(self, run: SyncRun, **filters) -> list[SyncRecord]:
        with scope(tenant=self.tenant):
            return list(SyncRecord.objects.filter(run=run, **filters).order_by("id"))


@scopes_disabled()
def connect(fake: FakeTripletex, tenant, **sizes) -> Imp:
    sizes = {"employees": 2, "projects": 1, "customers": 3, **sizes}
    info = fake.create_company(f"Kundeimport {uuid.uuid4().hex[:6]} AS", applications=["GrønnJobb"], **sizes)
    connection = Connection.objects.create(
        tenant=tenant, state=Connection.State.ACTIVE, employee_token=info["employee_tokens"]["GrønnJobb"],
        tripletex_company_id=info["id"], tripletex_company_name="Kundeimport AS")
    config = ConnectorConfig.objects.create(tenant=tenant, name=NAME, enabled=True,
                                            options={"interval_minutes": 15})
    return Imp(fake=fake, tenant=tenant, company_id=info["id"], connection=connection, config=config)


@pytest.fixture
def imp(world, fake_tripletex, tripletex_settings) -> Imp:
    # Its customers were made yesterday: after the first import, only what a test changes is newer.
    fake_tripletex.set_clock(offset_seconds=-86400)
    made = connect(fake_tripletex, world.a)
    fake_tripletex.reset_clock()
    return made


@pytest.fixture
def imported(imp) -> Imp:
    run = imp.run()
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    return imp
