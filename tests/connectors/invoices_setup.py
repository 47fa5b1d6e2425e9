"""Company A connected to a company of its own in the fake Tripletex, with "Faktura og innbetalinger" on.

Invoices are issued and payments registered through the commerce services, as the pages do; the push runs
as the worker does (`outbound_changes_push`); Tripletex is read back through its API and control API.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django_scopes import scope

from commerce import services
from commerce.models import Invoice
from integrations.connectors import runner
from integrations.models import Connection, ConnectorConfig, Link, SyncRecord
from tests.factories import CustomerFactory, ProductFactory, ProjectFactory

from .master_data_setup import tripletex_settings  # noqa: F401

ACCOUNTS = [("1500", "Kundefordringer", "receivable", "", "1500"), ("1920", "Bank", "bank", "", "1920"),
            ("3000", "Salg høy sats", "sales", "3", "3000"), ("3010", "Salg næringsmidler", "sales", "31", "3000"),
            ("3100", "Salg fritatt", "sales", "5", "3100")]
VOUCHER_FIELDS = ("id,externalVoucherNumber,date,attachment(id),postings(row,account(number),amountGross,amount,"
                  "customer(id,customerNumber),project(number),vatType(number),invoiceNumber)")


@dataclass
class Drifti:
    fake: object
    tenant: object
    company_id: int
    token: str
    sales: dict

    def issue(self, *, lines=None, day=dt.date(2026, 3, 2), **data) -> Invoice:
        lines = lines or [{"product": self.sales["work"], "quantity": Decimal("4")},
                          {"product": self.sales["food"], "quantity": Decimal("2")}]
        data = {"customer": self.sales["customer"], "project": self.sales["project"], "invoice_date": day, **data}
        with scope(tenant=self.tenant):
            draft = services.invoice_draft_save(tenant=self.tenant, data=data, lines=lines)
            return services.invoice_issue(tenant=self.tenant, invoice=draft, by=None)

    def pay(self, invoice: Invoice, amount: Decimal | None = None, *, kid: bool = True, day=dt.date(2026, 3, 20)):
        with scope(tenant=self.tenant):
            return services.payment_register(
                tenant=self.tenant, date=day, amount=amount or invoice.amount_gross, by=None,
                **({"kid": invoice.kid} if kid else {"invoice": invoice}))

    def push(self):
        with scope(tenant=self.tenant):
            outcome = runner.outbound_changes_push(tenant=self.tenant)
        return outcome

    def vouchers(self) -> list[dict]:
        session = self.fake.session(employee_token=self.token)
        ids = [v["id"] for v in self.fake.objects(self.company_id, "voucher")]
        return [session.get(f"{self.fake.base_url}/ledger/voucher/{i}", params={"fields": VOUCHER_FIELDS},
                            timeout=10).json()["value"] for i in sorted(ids)]

    def voucher(self, external: str) -> dict:
        hits = [v for v in self.vouchers() if v.get("externalVoucherNumber") == external]
        assert len(hits) == 1, f"{len(hits)} vouchers numbered {external!r}"
        return hits[0]

    def link(self, kind: str, local_id: int) -> Link | None:
        with scope(tenant=self.tenant):
            return Link.objects.filter(tenant=self.tenant, kind=kind, local_id=local_id,
                                       tripletex_company_id=self.company_id).first()

    def records(self, kind: str, local_id: int) -> list[SyncRecord]:
        with scope(tenant=self.tenant):
            return list(SyncRecord.objects.filter(tenant=self.tenant, object_kind=kind, local_id=local_id)
                        .order_by("id"))

    def calls(self) -> dict[str, int]:
        return self.fake.calls(self.company_id)


@pytest.fixture
def drifti(world, fake_tripletex, tripletex_settings) -> Drifti:  # noqa: F811
    name = f"Drifti {uuid.uuid4().hex[:6]} AS"
    info = fake_tripletex.create_company(name, applications=["GrønnJobb"], employees=2, projects=1, customers=1)
    token = info["employee_tokens"]["GrønnJobb"]
    Connection.objects.create(tenant=world.a, state=Connection.State.ACTIVE, employee_token=token,
                              tripletex_company_id=info["id"], tripletex_company_name=name)
    ConnectorConfig.objects.create(tenant=world.a, name="invoices", enabled=True)
    t = world.a
    for number, label, role, vat, theirs in ACCOUNTS:
        services.ledger_account_save(tenant=t, data={"number": number, "name": label, "role": role, "vat_code": vat,
                                                     "tripletex_number": theirs})
    sales = {
        "customer": CustomerFactory(tenant=t, name="Fjordkaffe AS", customer_number="55501", payment_terms_days=14),
        "project": ProjectFactory(tenant=t, number="7001", name="Kafébygg", start_date=dt.date(2026, 1, 5)),
        "work": ProductFactory(tenant=t, number="100", name="Timeverk", sales_price=Decimal("1000.00")),
        "food": ProductFactory(tenant=t, number="200", name="Kaffe", sales_price=Decimal("200.00"), vat_code="31"),
    }
    fake_tripletex.clear_calls()
    return Drifti(fake=fake_tripletex, tenant=t, company_id=info["id"], token=token, sales=sales)
