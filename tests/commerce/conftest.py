import datetime as dt
from decimal import Decimal

import pytest

from commerce import services
from tests.factories import CustomerFactory, ProductFactory, ProjectFactory


@pytest.fixture
def sales(world):
    """Company A with a customer (30 days to pay), a project and a product at each VAT rate."""
    t = world.a
    return {
        "customer": CustomerFactory(tenant=t, name="Fjordkaffe AS", customer_number="10001", payment_terms_days=30),
        "project": ProjectFactory(tenant=t, number="1001", name="Kafébygg"),
        "work": ProductFactory(tenant=t, number="100", name="Timeverk", sales_price=Decimal("950.00"), unit="time"),
        "food": ProductFactory(tenant=t, number="200", name="Kaffe 1 kg", sales_price=Decimal("189.90"),
                               vat_code="31"),
    }


def draft(tenant, sales, *, lines=None, **data):
    """A draft invoice for A's customer and project, dated 1 March 2026."""
    lines = lines or [
        {"product": sales["work"], "quantity": Decimal("7.5")},
        {"product": sales["food"], "quantity": Decimal("3")},
    ]
    data = {"customer": sales["customer"], "project": sales["project"], "invoice_date": dt.date(2026, 3, 1),
            **data}
    return services.invoice_draft_save(tenant=tenant, data=data, lines=lines)


@pytest.fixture
def issued(world, sales):
    return services.invoice_issue(tenant=world.a, invoice=draft(world.a, sales), by=world.alice)
