"""Every entity method at least once against the fake: create, read back, update with the version read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from integrations.tripletex import Conflict, NotFound


@pytest.fixture
def employee(tx):
    return tx.employee_list(fields="id,version,firstName")[0]


def test_employee_create_get_update_round_trip(tx):
    created = tx.employee_create({"firstName": "Kari", "lastName": "Nordmann", "email": "kari@example.no"})
    got = tx.employee_get(created["id"], fields="id,version,lastName,employeeNumber")
    assert got["lastName"] == "Nordmann"
    updated = tx.employee_update(created["id"], {"employeeNumber": "E-77"}, version=got["version"])
    assert updated["employeeNumber"] == "E-77"
    assert [e["id"] for e in tx.employee_list(employee_number="E-77", fields="id")] == [created["id"]]


def test_project_create_get_update_and_lists(tx, employee, today):
    created = tx.project_create({"name": "Ny hall", "projectManager": {"id": employee["id"]}, "startDate": today})
    assert tx.project_get(created["id"], fields="name")["name"] == "Ny hall"
    closed = tx.project_update(created["id"], {"isClosed": True}, version=created["version"])
    assert closed["isClosed"] is True
    assert created["id"] in [p["id"] for p in tx.project_list(is_closed=True, fields="id")]
    many = tx.project_create_many(
        [{"name": f"Del {n}", "projectManager": {"id": employee["id"]}, "startDate": today} for n in (1, 2)]
    )
    assert len(many) == 2
    renamed = tx.project_update_many([{"id": p["id"], "version": p["version"], "name": p["name"] + "!"} for p in many])
    assert [p["name"] for p in renamed] == ["Del 1!", "Del 2!"]
    assert isinstance(tx.project_list_for_timesheet(employee_id=employee["id"], date=today, fields="id"), list)


def test_activity_salary_type_and_timesheet_calls(tx, employee, today):
    activity = tx.activity_create({"name": "Kontor", "activityType": "GENERAL_ACTIVITY", "rate": Decimal("950.50")})
    assert activity["id"] in [a["id"] for a in tx.activity_list(fields="id")]
    wage_types = tx.salary_type_list(show_in_timesheet=True, fields="id,number,name")
    assert wage_types

    one = tx.timesheet_entry_create(
        {"employee": {"id": employee["id"]}, "activity": {"id": activity["id"]}, "date": today, "hours": 2}
    )
    two_days = [today - dt.timedelta(days=n) for n in (1, 2)]
    batch = tx.timesheet_entry_create_many(
        [{"employee": {"id": employee["id"]}, "activity": {"id": activity["id"]}, "date": d, "hours": 7.5} for d in two_days]
    )
    assert len(batch) == 2
    found = tx.timesheet_entry_search(
        date_from=today - dt.timedelta(days=2), date_to=today + dt.timedelta(days=1),
        employee_ids=[employee["id"]], activity_id=activity["id"], fields="id,version,hours,locked",
    )
    assert {e["id"] for e in found} == {one["id"], *(e["id"] for e in batch)}

    changed = tx.timesheet_entry_update(one["id"], {"hours": 3}, version=one["version"])
    assert changed["hours"] == 3
    fixed = tx.timesheet_entry_update_many([{"id": e["id"], "version": e["version"], "hours": 8} for e in batch])
    assert [e["hours"] for e in fixed] == [8, 8]
    tx.timesheet_entry_delete(changed["id"], version=changed["version"])
    assert tx.timesheet_entry_get(batch[0]["id"], fields="id")["id"] == batch[0]["id"]

    spec = tx.timesheet_salary_type_spec_create(
        {"employee": {"id": employee["id"]}, "salaryType": {"id": wage_types[0]["id"]}, "date": today, "count": 1.5}
    )
    specs = tx.timesheet_salary_type_spec_list(employee_id=employee["id"], date_from=today, date_to=today + dt.timedelta(days=1))
    assert spec["id"] in [s["id"] for s in specs]
    changed_spec = tx.timesheet_salary_type_spec_update(spec["id"], {"count": 2.5}, version=spec["version"])
    assert changed_spec["count"] == 2.5 and changed_spec["version"] > spec["version"]
    assert tx.timesheet_salary_type_spec_get(spec["id"], fields="id,count")["count"] == 2.5
    with pytest.raises(Conflict):
        tx.timesheet_salary_type_spec_update(spec["id"], {"count": 3}, version=spec["version"])
    tx.timesheet_salary_type_spec_delete(spec["id"])
    with pytest.raises(NotFound):
        tx.timesheet_salary_type_spec_get(spec["id"])
    status = tx.timesheet_month_status(employee_ids=[employee["id"]], month=today)
    assert isinstance(status, list)
    assert tx.activity_list_for_timesheet(project_id=tx.project_list(fields="id")[0]["id"], fields="id") is not None


def test_customer_supplier_product_round_trips(tx):
    customer = tx.customer_create({"name": "Fjord AS", "email": "post@fjord.no"})
    assert tx.customer_get(customer["id"], fields="name")["name"] == "Fjord AS"
    updated = tx.customer_update(customer["id"], {"phoneNumber": "12345678"}, version=customer["version"])
    assert updated["version"] == customer["version"] + 1
    by_number = tx.customer_list(customer_numbers=[customer["customerNumber"]], fields="id")
    assert [c["id"] for c in by_number] == [customer["id"]]
    since = tx.customer_list(changed_since=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5), fields="id")
    assert customer["id"] in [c["id"] for c in since]
    many = tx.customer_create_many([{"name": "A AS"}, {"name": "B AS"}])
    assert len(tx.customer_update_many([{"id": c["id"], "version": c["version"], "name": c["name"]} for c in many])) == 2

    supplier = tx.supplier_create({"name": "Leverandør AS"})
    assert tx.supplier_get(supplier["id"], fields="name")["name"] == "Leverandør AS"
    tx.supplier_update(supplier["id"], {"email": "a@b.no"}, version=supplier["version"])
    assert supplier["id"] in [s["id"] for s in tx.supplier_list(fields="id")]

    product = tx.product_create({"name": "Plenklipp", "priceExcludingVatCurrency": Decimal("499.00")})
    assert tx.product_get(product["id"], fields="name")["name"] == "Plenklipp"
    tx.product_update(product["id"], {"name": "Plenklipp stor"}, version=product["version"])
    assert [p["id"] for p in tx.product_list(product_number=product["number"], fields="id")] == [product["id"]]
    more = tx.product_create_many([{"name": "Hekk"}, {"name": "Snø"}])
    assert len(tx.product_update_many([{"id": p["id"], "version": p["version"], "name": p["name"]} for p in more])) == 2


def test_order_invoice_payment_and_purchase_order(tx, today):
    customer = tx.customer_create({"name": "Kunde AS"})
    order = tx.order_create({
        "customer": {"id": customer["id"]}, "orderDate": today, "deliveryDate": today,
        "orderLines": [{"description": "Arbeid", "count": 2, "unitPriceExcludingVatCurrency": Decimal("500")}],
    })
    tx.order_line_create({"order": {"id": order["id"]}, "description": "Materiell", "count": 1,
                          "unitPriceExcludingVatCurrency": Decimal("100")})
    assert order["id"] in [o["id"] for o in tx.order_list(order_date_from=today, order_date_to=today + dt.timedelta(days=1), fields="id")]
    assert tx.order_get(order["id"], fields="id")["id"] == order["id"]
    assert len(tx.order_create_many([{"customer": {"id": customer["id"]}, "orderDate": today, "deliveryDate": today}])) == 1

    invoice = tx.order_invoice(order["id"], invoice_date=today)
    found = tx.invoice_search(invoice_date_from=today, invoice_date_to=today + dt.timedelta(days=1), fields="id,amount")
    assert invoice["id"] in [i["id"] for i in found]
    payment_type = tx.payment_type_list(fields="id")[0]
    paid = tx.invoice_register_payment(
        invoice["id"], payment_date=today, payment_type_id=payment_type["id"], paid_amount=Decimal("100")
    )
    assert paid["id"] == invoice["id"]
    assert tx.invoice_get(invoice["id"], fields="id")["id"] == invoice["id"]

    supplier = tx.supplier_create({"name": "Innkjøp AS"})
    purchase = tx.purchase_order_create({"supplier": {"id": supplier["id"]}, "deliveryDate": today})
    assert tx.purchase_order_get(purchase["id"], fields="id")["id"] == purchase["id"]
    assert purchase["id"] in [p["id"] for p in tx.purchase_order_list(fields="id")]


def test_voucher_with_pdf_and_ledger_accounts(tx, today):
    accounts = {a["number"]: a for a in tx.ledger_account_list(numbers=[1500, 3000], fields="id,number")}
    assert set(accounts) == {1500, 3000}
    customer = tx.customer_create({"name": "Bilagkunde AS"})
    voucher = tx.voucher_create({
        "date": today, "description": "Faktura 1001", "externalVoucherNumber": "GJ-1001",
        "postings": [
            {"account": {"id": accounts[1500]["id"]}, "customer": {"id": customer["id"]}, "amountGross": Decimal("1250"), "row": 1},
            {"account": {"id": accounts[3000]["id"]}, "amountGross": Decimal("-1250"), "row": 2},
        ],
    })
    with_pdf = tx.voucher_attach(voucher["id"], b"%PDF-1.4 test", filename="faktura-1001.pdf")
    assert with_pdf["id"] == voucher["id"]
    assert tx.voucher_get(voucher["id"], fields="id")["id"] == voucher["id"]
    assert voucher["id"] in [v["id"] for v in tx.voucher_list(date_from=today, date_to=today + dt.timedelta(days=1), fields="id")]


def test_event_subscriptions_crud_and_event_names(tx):
    names = tx.event_names()
    assert "project.update" in names
    sub = tx.event_subscription_create({"event": "project.update", "targetUrl": "https://example.no/hook", "fields": "id,version"})
    assert tx.event_subscription_get(sub["id"], fields="event")["event"] == "project.update"
    changed = tx.event_subscription_update(sub["id"], {"targetUrl": "https://example.no/hook2"}, version=sub["version"])
    assert changed["targetUrl"] == "https://example.no/hook2"
    assert sub["id"] in [s["id"] for s in tx.event_subscription_list(fields="id")]
    tx.event_subscription_delete(sub["id"])
    assert sub["id"] not in [s["id"] for s in tx.event_subscription_list(fields="id")]
