"""Company A connected to a company of its own in the fake Tripletex, with "Varer, kunder og leverandører" on.

Products, suppliers and customers change through the commerce and HR services, as the pages change them;
the push runs as the worker does (`outbound_changes_push`); Tripletex is read back through its control API.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django_scopes import scope, scopes_disabled

from commerce import services
from commerce.models import Product, Supplier
from hr import services as hr_services
from hr.models import Customer
from integrations.connectors import runner
from integrations.models import Connection, ConnectorConfig, Link, OutboundChange, SyncRecord

from .master_data_setup import tripletex_settings  # noqa: F401

NAME = "inventory"
KIND_OF = {Product: Link.Kind.PRODUCT, Supplier: Link.Kind.SUPPLIER, Customer: Link.Kind.CUSTOMER}


@dataclass
class Rackbeat:
    fake: object
    tenant: object
    company_id: int
    token: str

    # our side, as the pages change it
    def product(self, product: Product | None = None, components=None, **data) -> Product:
        if product is None:
            data = {"number": f"V{uuid.uuid4().hex[:6]}", "name": "Skrue", "sales_price": Decimal("10.00"),
                    "cost_price": Decimal("4.00"), **data}
        with scope(tenant=self.tenant):
            return services.product_save(tenant=self.tenant, data=data, components=components, product=product)

    def supplier(self, supplier: Supplier | None = None, **data) -> Supplier:
        with scope(tenant=self.tenant):
            if supplier is None:
                data = {"supplier_number": str(60000 + Supplier.objects.count()), "name": "Jernvare AS", **data}
            return services.supplier_save(tenant=self.tenant, data=data, supplier=supplier)

    def customer(self, customer: Customer | None = None, **data) -> Customer:
        with scope(tenant=self.tenant):
            if customer is None:
                data = {"customer_number": str(70000 + Customer.objects.count()), "name": "Kunde AS", **data}
                return hr_services.customer_create(tenant=self.tenant, **data)
            return hr_services.customer_update(tenant=self.tenant, customer=customer, data=data)

    def push(self):
        with scope(tenant=self.tenant):
            return runner.outbound_changes_push(tenant=self.tenant)

    # Tripletex
    def remote(self, kind: str) -> list[dict]:
        return self.fake.objects(self.company_id, kind)

    def remote_one(self, kind: str, **match) -> dict:
        hits = [o for o in self.remote(kind) if all(o.get(k) == v for k, v in match.items())]
        assert len(hits) == 1, f"{len(hits)} {kind} in Tripletex match {match}"
        return hits[0]

    def read(self, path: str, fields: str) -> dict:
        """One object as Tripletex's API gives it, with nested `fields` (the control API does not expand)."""
        session = self.fake.session(employee_token=self.token)
        return session.get(f"{self.fake.base_url}{path}", params={"fields": fields}, timeout=10).json()["value"]

    def calls(self) -> dict[str, int]:
        return self.fake.calls(self.company_id)

    def writes(self) -> dict[str, int]:
        return {k: v for k, v in self.calls().items() if not k.startswith("GET") and "/token/session/" not in k}

    # the log and links: this company's rows, read in its scope as its pages read them
    def link(self, row) -> Link | None:
        with scope(tenant=self.tenant):
            return Link.objects.filter(tenant=self.tenant, kind=KIND_OF[type(row)], local_id=row.id,
                                       tripletex_company_id=self.company_id).first()

    def records(self, row) -> list[SyncRecord]:
        return self.records_of(KIND_OF[type(row)], row.id)

    def records_of(self, kind: str, local_id: int) -> list[SyncRecord]:
        with scope(tenant=self.tenant):
            return list(SyncRecord.objects.filter(tenant=self.tenant, object_kind=kind, local_id=local_id)
                        .order_by("id"))

    def last_record(self, row) -> SyncRecord:
        return self.records(row)[-1]

    def pending(self) -> int:
        with scope(tenant=self.tenant):
            return OutboundChange.objects.filter(tenant=self.tenant, state=OutboundChange.State.PENDING).count()


@scopes_disabled()
def connect(fake, tenant, **sizes) -> Rackbeat:
    name = f"Rackbeat {uuid.uuid4().hex[:6]} AS"
    sizes = {"employees": 1, "projects": 1, "customers": 1, "suppliers": 1, "products": 2, **sizes}
    info = fake.create_company(name, applications=["GrønnJobb"], **sizes)
    token = info["employee_tokens"]["GrønnJobb"]
    Connection.objects.create(tenant=tenant, state=Connection.State.ACTIVE, employee_token=token,
                              tripletex_company_id=info["id"], tripletex_company_name=name)
    ConnectorConfig.objects.create(tenant=tenant, name=NAME, enabled=True)
    fake.clear_calls()
    return Rackbeat(fake=fake, tenant=tenant, company_id=info["id"], token=token)


@pytest.fixture
def rackbeat(world, fake_tripletex, tripletex_settings) -> Rackbeat:  # noqa: F811
    return connect(fake_tripletex, world.a)
