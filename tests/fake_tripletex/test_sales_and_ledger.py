"""Customers, products, orders, invoices, payments, vouchers, purchase orders."""
from .conftest import ids


def test_customer_create_and_list_endpoints(api):
    r = api.post(api.base + "/customer/list", json=[{"name": "Liste En AS"}, {"name": "Liste To AS"}])
    assert r.status_code == 201 and r.json()["count"] == 2
    numbers = [v["customerNumber"] for v in r.json()["values"]]
    assert len(set(numbers)) == 2
    r = api.put(api.base + "/customer/list", json=[{"id": v["id"], "phoneNumber": "11223344"} for v in r.json()["values"]])
    assert r.status_code == 200


def test_order_invoice_and_payment_flow(api):
    customer = ids(api, "/customer", isInactive="false")[0]
    order = api.post(api.base + "/order", json={
        "customer": {"id": customer}, "orderDate": "2031-03-01", "deliveryDate": "2031-03-01",
        "orderLines": [{"description": "Arbeid", "count": 2, "unitPriceExcludingVatCurrency": 1000}]})
    assert order.status_code == 201
    oid = order.json()["value"]["id"]
    line = api.post(api.base + "/order/orderline", json={"order": {"id": oid}, "description": "Reise", "count": 1,
                                                         "unitPriceExcludingVatCurrency": 500})
    assert line.status_code == 201
    inv = api.put(f"{api.base}/order/{oid}/:invoice", params={"invoiceDate": "2031-03-02"})
    assert inv.status_code == 200
    invoice = inv.json()["value"]
    assert invoice["amountExcludingVat"] == 2500 and invoice["amount"] == 3125
    found = api.get(api.base + "/invoice", params={"invoiceDateFrom": "2031-03-01", "invoiceDateTo": "2031-03-03",
                                                    "fields": "id,amountOutstanding"}).json()["values"]
    assert {"id": invoice["id"], "amountOutstanding": 3125} in found
    pt = ids(api, "/invoice/paymentType")[0]
    paid = api.put(f"{api.base}/invoice/{invoice['id']}/%3Apayment",
                   params={"paymentDate": "2031-03-10", "paymentTypeId": pt, "paidAmount": 3125})
    assert paid.status_code == 200 and paid.json()["value"]["amountOutstanding"] == 0
    assert api.get(api.base + "/invoice").status_code == 422


def test_post_invoice_takes_the_invoice_number_and_kid_given_and_refuses_a_number_in_use(api):
    customer = ids(api, "/customer", isInactive="false")[0]
    order = {"customer": {"id": customer}, "orderDate": "2031-05-01", "deliveryDate": "2031-05-01",
             "orderLines": [{"description": "Arbeid", "count": 1, "unitPriceExcludingVatCurrency": 100}]}
    first = api.post(api.base + "/order", json=order).json()["value"]["id"]
    r = api.post(api.base + "/invoice", params={"sendToCustomer": "false"}, json={
        "invoiceNumber": 7001, "kid": "0070014", "invoiceDate": "2031-05-02", "invoiceDueDate": "2031-05-16",
        "customer": {"id": customer}, "orders": [{"id": first}]})
    assert r.status_code == 201, r.text
    made = r.json()["value"]
    assert (made["invoiceNumber"], made["kid"], made["invoiceDueDate"]) == (7001, "0070014", "2031-05-16")

    taken = api.post(api.base + "/invoice", json={"invoiceNumber": 7001, "invoiceDate": "2031-05-02",
                                                  "orders": [order]})
    assert taken.status_code == 422 and taken.json()["validationMessages"][0]["field"] == "invoiceNumber"

    numbered = api.post(api.base + "/invoice", json={"invoiceNumber": 0, "invoiceDate": "2031-05-02",
                                                     "orders": [order]})
    assert numbered.status_code == 201 and numbered.json()["value"]["invoiceNumber"] not in (0, 7001)
    again = api.post(api.base + "/invoice", json={"invoiceDate": "2031-05-02", "orders": [{"id": first}]})
    assert again.status_code == 422


def test_voucher_postings_must_balance_and_attachment_upload(api):
    acc = {a["number"]: a["id"] for a in api.get(api.base + "/ledger/account", params={"fields": "id,number"}).json()["values"]}
    customer = ids(api, "/customer")[0]
    unbalanced = {"date": "2031-04-01", "description": "Faktura 1", "externalVoucherNumber": "GJ-1",
                  "postings": [{"account": {"id": acc[1500]}, "amountGross": 1250, "customer": {"id": customer}},
                               {"account": {"id": acc[3000]}, "amountGross": -1000}]}
    r = api.post(api.base + "/ledger/voucher", params={"sendToLedger": "true"}, json=unbalanced)
    assert r.status_code == 422
    balanced = {**unbalanced, "postings": unbalanced["postings"] + [{"account": {"id": acc[2700]}, "amountGross": -250}]}
    r = api.post(api.base + "/ledger/voucher", params={"sendToLedger": "true"}, json=balanced)
    assert r.status_code == 201
    vid = r.json()["value"]["id"]
    assert r.json()["value"]["number"] >= 1
    r = api.post(f"{api.base}/ledger/voucher/{vid}/attachment",
                 files={"file": ("faktura.pdf", b"%PDF-1.4 fake", "application/pdf")})
    assert r.status_code == 200 and "attachment" in r.json()["value"]
    got = api.get(api.base + "/ledger/voucher", params={"dateFrom": "2031-04-01", "dateTo": "2031-04-02",
                                                         "fields": "externalVoucherNumber,postings(amountGross)"})
    assert got.json()["values"][0]["externalVoucherNumber"] == "GJ-1"
    assert len(got.json()["values"][0]["postings"]) == 3


def test_purchase_order_and_product_list(api):
    supplier = ids(api, "/supplier")[0]
    r = api.post(api.base + "/purchaseOrder", json={"supplier": {"id": supplier}, "deliveryDate": "2031-05-01"})
    assert r.status_code == 201 and r.json()["value"]["number"]
    r = api.post(api.base + "/product/list", json=[{"name": "Ny vare", "priceExcludingVatCurrency": 100}])
    assert r.status_code == 201
    number = r.json()["values"][0]["number"]
    assert api.get(api.base + "/product", params={"productNumber": number}).json()["fullResultSize"] == 1


def test_activity_create_with_rate(api):
    r = api.post(api.base + "/activity", json={"name": "Befaring", "activityType": "PROJECT_GENERAL_ACTIVITY",
                                               "rate": 1100, "isChargeable": True})
    assert r.status_code == 201 and r.json()["value"]["rate"] == 1100


def test_control_api_objects_and_reset_keep_demo_tokens(fake_tripletex):
    cid = fake_tripletex.demo["id"]
    assert len(fake_tripletex.objects(cid, "employee")) >= 40
    info = fake_tripletex.reset()
    assert info["companies"][0]["employee_tokens"] == fake_tripletex.demo["employee_tokens"]
    s = fake_tripletex.session()
    assert s.get(fake_tripletex.base_url + "/token/session/>whoAmI").status_code == 200


def test_voucher_posting_with_a_vat_type_is_split_into_net_and_a_vat_row(api):
    acc = {a["number"]: a["id"] for a in api.get(api.base + "/ledger/account", params={"fields": "id,number"}).json()["values"]}
    vat15 = api.get(api.base + "/ledger/vatType", params={"number": "31", "fields": "id"}).json()["values"][0]["id"]
    r = api.post(api.base + "/ledger/voucher", params={"sendToLedger": "true"}, json={
        "date": "2031-06-01", "description": "Faktura 7", "externalVoucherNumber": "GJ-7",
        "postings": [{"row": 1, "account": {"id": acc[1500]}, "amountGross": 115, "amountGrossCurrency": 115},
                     {"row": 2, "account": {"id": acc[3000]}, "amountGross": -115, "amountGrossCurrency": -115,
                      "vatType": {"id": vat15}}]})
    assert r.status_code == 201
    got = api.get(api.base + "/ledger/voucher/" + str(r.json()["value"]["id"]),
                  params={"fields": "postings(account(number),amount,amountGross)"}).json()["value"]
    assert sorted((p["account"]["number"], p["amount"]) for p in got["postings"]) == [
        (1500, 115), (2701, -15), (3000, -100)]


def test_voucher_in_a_closed_period_is_refused(api, fake_tripletex):
    cid = fake_tripletex.demo["id"]
    fake_tripletex.lock_period(cid, "2031-07-01", "2031-07-31")
    acc = {a["number"]: a["id"] for a in api.get(api.base + "/ledger/account", params={"fields": "id,number"}).json()["values"]}
    try:
        r = api.post(api.base + "/ledger/voucher", params={"sendToLedger": "true"}, json={
            "date": "2031-07-15", "description": "Stengt",
            "postings": [{"row": 1, "account": {"id": acc[1500]}, "amountGross": 10},
                         {"row": 2, "account": {"id": acc[3100]}, "amountGross": -10}]})
    finally:
        fake_tripletex.unlock_all(cid)
    assert r.status_code == 422 and "stengt" in r.json()["message"]


def test_voucher_reverse_negates_every_posting_links_both_ways_and_happens_once(api):
    accounts = api.get(api.base + "/ledger/account", params={"fields": "id,number"}).json()["values"]
    acc = {a["number"]: a["id"] for a in accounts}
    made = api.post(api.base + "/ledger/voucher", params={"sendToLedger": "true"}, json={
        "date": "2031-07-01", "description": "Faktura 9", "externalVoucherNumber": "GJ-9",
        "postings": [{"row": 1, "account": {"id": acc[1500]}, "amountGross": 100, "amountGrossCurrency": 100},
                     {"row": 2, "account": {"id": acc[3100]}, "amountGross": -100, "amountGrossCurrency": -100}]})
    vid = made.json()["value"]["id"]
    r = api.put(f"{api.base}/ledger/voucher/{vid}/:reverse", params={"date": "2031-07-05"})
    assert r.status_code == 200, r.text
    reversal = r.json()["value"]
    fields = {"fields": "id,date,reverseVoucher(id),postings(amountGross,account(number))"}
    got = api.get(f"{api.base}/ledger/voucher/{reversal['id']}", params=fields).json()["value"]
    assert got["date"] == "2031-07-05" and got["reverseVoucher"]["id"] == vid
    assert sorted((p["account"]["number"], p["amountGross"]) for p in got["postings"]) == [(1500, -100), (3100, 100)]
    original = api.get(f"{api.base}/ledger/voucher/{vid}", params=fields).json()["value"]
    assert original["reverseVoucher"]["id"] == reversal["id"]
    assert api.put(f"{api.base}/ledger/voucher/{vid}/:reverse", params={"date": "2031-07-05"}).status_code == 422


def test_create_credit_note_credits_the_whole_invoice_once(api):
    customer = ids(api, "/customer", isInactive="false")[0]
    order = api.post(api.base + "/order", json={
        "customer": {"id": customer}, "orderDate": "2031-08-01", "deliveryDate": "2031-08-01",
        "orderLines": [{"description": "Arbeid", "count": 2, "unitPriceExcludingVatCurrency": 100}]}).json()["value"]
    invoice = api.put(f"{api.base}/order/{order['id']}/:invoice", params={"invoiceDate": "2031-08-02"}).json()["value"]
    r = api.put(f"{api.base}/invoice/{invoice['id']}/:createCreditNote", params={"date": "2031-08-05"})
    assert r.status_code == 200, r.text
    note = r.json()["value"]
    assert note["isCreditNote"] and note["creditedInvoice"] == invoice["id"] and note["amount"] == -invoice["amount"]
    assert api.get(f"{api.base}/invoice/{invoice['id']}", params={"fields": "isCredited"}).json()["value"]["isCredited"]
    assert api.put(f"{api.base}/invoice/{invoice['id']}/:createCreditNote",
                   params={"date": "2031-08-05"}).status_code == 422
