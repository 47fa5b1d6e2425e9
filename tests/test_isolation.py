"""Every URL of the project, asked for as bob (admin of B) with A's objects, must not show or change them.

A new view is covered without writing a test: its URL is found here. A URL parameter this test does
not know fails the test, so whoever adds one says which of A's objects it takes. The REST API's URLs
are asked for with B's API key, with every method the API has.
"""
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

# Parts of the site that are not ours or are not tenant data.
SKIP_PREFIXES = ("admin/", "i18n/", "static/")

# URL parameter name → how to get A's object id for it from the `hr_a` fixture (and friends).
# Parameters that name no object (a wizard step, a list kind) are in NOT_OBJECTS: bob gets his own.
PARAMS = {
    "entry_id": lambda objs: objs["entry"].id,
    "employee_id": lambda objs: objs["employee"].id,
    "project_id": lambda objs: objs["project"].id,
    "customer_id": lambda objs: objs["customer"].id,
    "run_id": lambda objs: objs["run"].id,
    "record_id": lambda objs: objs["record"].id,
    "kind": lambda objs: "project",
    "step": lambda objs: "prosjekter",
    "task_id": lambda objs: objs["run"].id,
    # Tripletex's webhook address for A: bob holds no secret for it, so he is refused.
    "key": lambda objs: objs["connection"].webhook_key,
    "link_id": lambda objs: objs["link"].id,
    "connector": lambda objs: "master_data",
    "change_id": lambda objs: objs["remote_change"].id,
    "invoice_id": lambda objs: objs["invoice"].id,
    "product_id": lambda objs: objs["product"].id,
    "supplier_id": lambda objs: objs["supplier"].id,
    "terms_id": lambda objs: objs["terms"].id,
    "order_id": lambda objs: objs["purchase_order"].id,
    "account_id": lambda objs: objs["account"].id,
    "activity_id": lambda objs: objs["activity"].id,
    "wage_type_id": lambda objs: objs["wage_type"].id,
    "transfer_id": lambda objs: objs["transfer"].id,
    "key_prefix": lambda objs: objs["api_key"].prefix,
    "journal_id": lambda objs: objs["journal"].id,
}

NOT_OBJECTS = {"kind", "step", "connector"}

A_MARKERS = ("Alfahemmelig", "Alfaansatt", "Alfaaktivitet", "Alfalønnsart", "Alfakunde", "Alfavare", "Alfaleverandør",
             "Alfabetingelse", "Alfakonto", "Alfanøkkel")
API_PREFIX = "api/"


def _walk(resolver, prefix=""):
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p, route)
        elif isinstance(p, URLPattern):
            yield route


def all_routes() -> list[str]:
    return sorted({r for r in _walk(get_resolver()) if not r.startswith(SKIP_PREFIXES)})


def fill(route: str, objs: dict) -> str:
    def sub(match):
        name = match.group(2)
        if name not in PARAMS:
            raise AssertionError(f"Unknown URL parameter <{name}> in {route!r}: add it to PARAMS in {__file__}")
        return str(PARAMS[name](objs))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sub, route)


@pytest.fixture
def a_objects(world, hr_a):
    from api.services import api_key_create
    from integrations.models import Connection, HourSlot, HourTransfer, Link, RemoteChange, SyncRecord, SyncRun

    run = SyncRun.objects.create(tenant=world.a, kind=SyncRun.Kind.ACTIVATION)
    record = SyncRecord.objects.create(tenant=world.a, run=run, object_kind="project", action="created", label="Alfahemmelig")
    connection = Connection.objects.create(tenant=world.a, state=Connection.State.ACTIVE, employee_token="alfa-token",
                                           tripletex_company_id=1, webhook_secret="alfa-webhook-secret")
    link = Link.objects.create(tenant=world.a, kind=Link.Kind.PROJECT, local_id=hr_a["project"].id,
                               tripletex_company_id=1, tripletex_id=1, state=Link.State.BROKEN)
    remote_change = RemoteChange.objects.create(
        tenant=world.a, kind="project", tripletex_company_id=1, tripletex_id=1, change="new", label="Alfahemmelig",
    )
    entry = hr_a["entry"]
    slot = HourSlot.objects.create(tenant=world.a, kind=HourSlot.Kind.ENTRY, employee_id=entry.employee_id,
                                   date=entry.date, project_id=entry.project_id, activity_id=entry.activity_id)
    transfer = HourTransfer.objects.create(tenant=world.a, entry=entry, local_entry_id=entry.id, slot=slot,
                                           hours=entry.hours, comment="Alfahemmelig", state=HourTransfer.State.FAILED)
    api_key, _key = api_key_create(tenant=world.a, name="Alfanøkkel", by=world.alice)
    return {**hr_a, "run": run, "record": record, "connection": connection, "link": link,
            "remote_change": remote_change, "transfer": transfer, "api_key": api_key, **_commerce_a(world, hr_a)}


def _commerce_a(world, hr_a) -> dict:
    """A's commerce records: an issued invoice (with its PDF), a draft, a product, a supplier, an order."""
    import datetime as dt
    from decimal import Decimal

    from commerce import services

    t = world.a
    product = services.product_save(tenant=t, data={"number": "77", "name": "Alfavare", "sales_price": Decimal("10")})
    supplier = services.supplier_save(tenant=t, data={"supplier_number": "77", "name": "Alfaleverandør AS"})
    terms = services.payment_terms_save(tenant=t, data={"name": "Alfabetingelse", "days": 20})
    account = services.ledger_account_save(tenant=t, data={"number": "3000", "name": "Alfakonto", "role": "sales"})
    data = {"customer": hr_a["customer"], "invoice_date": dt.date(2026, 3, 1), "comment": "Alfahemmelig faktura"}
    invoice = services.invoice_issue(
        tenant=t, by=None,
        invoice=services.invoice_draft_save(tenant=t, data=data, lines=[{"product": product, "quantity": Decimal(1)}]),
    )
    services.invoice_draft_save(tenant=t, data=data, lines=[{"product": product, "quantity": Decimal(2)}])
    order = services.purchase_order_create(tenant=t, supplier=supplier, order_date=dt.date(2026, 3, 1),
                                           lines=[{"product": product, "quantity": Decimal(1)}])
    journal = services.invoice_journal_create(tenant=t, invoice_ids=[invoice.id], by=None)
    return {"invoice": invoice, "product": product, "supplier": supplier, "terms": terms, "account": account,
            "purchase_order": order, "journal": journal}


@pytest.fixture
def bob_api(world) -> APIClient:
    from api.services import api_key_create

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_create(tenant=world.b, name='Beta', by=world.bob)[1]}")
    return client


def test_routes_are_found():
    routes = all_routes()
    assert "timeliste/" in routes and "selskapsinnstillinger/" in routes


def test_api_routes_are_found():
    routes = all_routes()
    assert "api/v1/time-entries/<int:entry_id>/" in routes and "api/v1/employees/" in routes


def _requests(route: str, entry_id: int):
    """(method, body, content type) bob tries: a page's forms, or every method of the API with JSON."""
    form = {"entries": [entry_id], "action": "approve"}
    if not route.startswith(API_PREFIX):
        return [("get", None, None), ("post", form, None)]
    body = {**form, "ids": [entry_id], "hours": "1", "name": "Bob", "first_name": "Bob", "active": False,
            "status": "deleted", "date_from": "2026-01-01", "date_to": "2026-12-31"}
    return [("get", None, None), *[(m, body, "json") for m in ("post", "patch", "delete")]]


@pytest.mark.parametrize("route", all_routes())
def test_bob_cannot_see_or_change_company_a_through(route, world, a_objects, bob_api):
    client = bob_api if route.startswith(API_PREFIX) else world.client_for(world.bob, world.b)
    url = fill(route, a_objects)
    has_params = any(name not in NOT_OBJECTS for name in re.findall(r"<(?:\w+:)?(\w+)>", route))
    entry = a_objects["entry"]
    before = (entry.status, entry.hours, entry.updated_at)
    registers = [a_objects[name] for name in ("project", "customer", "employee", "invoice", "product", "supplier",
                                              "terms", "account")]
    registers_before = [obj.updated_at for obj in registers]

    for method, data, content_format in _requests(route, entry.id):
        kwargs = {"format": content_format} if content_format else {}
        response = getattr(client, method)(url, data, **kwargs)
        body = response.content.decode(errors="replace")
        if has_params:
            assert response.status_code in (403, 404, 405), f"{method.upper()} {url} gave {response.status_code}"
        else:
            assert response.status_code < 500, f"{method.upper()} {url} gave {response.status_code}"
        for marker in A_MARKERS:
            assert marker not in body, f"{method.upper()} {url} shows company A's {marker}"

    entry.refresh_from_db()
    assert (entry.status, entry.hours, entry.updated_at) == before
    a_objects["transfer"].refresh_from_db()
    assert a_objects["transfer"].state == "failed"
    a_objects["api_key"].refresh_from_db()
    assert not a_objects["api_key"].revoked
    for obj in registers:
        obj.refresh_from_db()
    assert [obj.updated_at for obj in registers] == registers_before
