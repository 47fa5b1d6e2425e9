"""Sales and ledger endpoints: order (+ order lines, ``:invoice``), invoice (``:payment``),
ledger voucher (balanced postings, attachments) and purchase order."""
from __future__ import annotations

import email.parser
import email.policy
from datetime import date, timedelta

from . import errors
from .resources import BEHAVIOURS, Behaviour, crud, get_obj, prepare_create, value_response, values_response
from .routing import Request, Response


def _money(x: float) -> float:
    return round(float(x) + 0.0, 2)


def _vat_rate(req: Request, vat_ref) -> float:
    vt = req.company.get("vat_type", (vat_ref or {}).get("id")) if vat_ref else None
    return float((vt or {}).get("percentage", 0))


def _line_amounts(req: Request, line: dict) -> None:
    count = float(line.get("count", 1) or 0)
    price = float(line.get("unitPriceExcludingVatCurrency", 0) or 0)
    discount = float(line.get("discount", 0) or 0)
    ex = _money(count * price * (1 - discount / 100))
    rate = _vat_rate(req, line.get("vatType"))
    line["amountExcludingVatCurrency"] = ex
    line["amountIncludingVatCurrency"] = _money(ex * (1 + rate / 100))
    line["unitPriceIncludingVatCurrency"] = _money(price * (1 + rate / 100))


def _orderline_defaults(req: Request, obj: dict) -> None:
    obj.setdefault("count", 1)
    if not obj.get("vatType"):
        obj["vatType"] = {"id": req.company.counters["vat_high"]}
    product = req.company.get("product", (obj.get("product") or {}).get("id")) if obj.get("product") else None
    if product is not None:
        obj.setdefault("description", product.get("name", ""))
        obj.setdefault("unitPriceExcludingVatCurrency", product.get("priceExcludingVatCurrency", 0))
    _line_amounts(req, obj)


BEHAVIOURS["orderline"] = Behaviour(required=("order",), defaults=_orderline_defaults)


def _order_defaults(req: Request, obj: dict) -> None:
    if not obj.get("number"):
        obj["number"] = str(req.company.next_number("order"))
    if not obj.get("department"):
        obj["department"] = {"id": req.company.default_department}
    obj.setdefault("isClosed", False)
    obj.setdefault("isSubscription", False)
    customer = req.company.get("customer", (obj.get("customer") or {}).get("id")) if obj.get("customer") else None
    if customer is not None:
        obj.setdefault("invoicesDueIn", customer.get("invoicesDueIn", 14))
        obj.setdefault("invoicesDueInType", customer.get("invoicesDueInType", "DAYS"))
        obj["customerName"] = customer.get("name", "")


BEHAVIOURS["order"] = Behaviour(required=("customer", "orderDate", "deliveryDate"), defaults=_order_defaults)


def post_order(req: Request) -> Response:
    if req.app.settings.get("no_bank_account_orders"):
        # A demo company refusing even the order until its bank account and organisation number are given
        # (seed 003 warns of it; Tripletex's exact answer is not documented, so these words are the fake's).
        raise errors.validation("bankAccount", "Selskapet må registrere bankkontonummer og organisasjonsnummer "
                                               "før ordre og fakturaer kan opprettes.")
    body = dict(req.body) if isinstance(req.body, dict) else req.body
    lines = body.pop("orderLines", []) if isinstance(body, dict) else []
    order = prepare_create(req, "order", body)
    store = req.app.store
    store.insert(req.company, "order", order, fire=False)
    # The lines refer to the order, so they are checked once it has its id; a bad line leaves no half order.
    try:
        prepared = [prepare_create(req, "orderline", {**line, "order": {"id": order["id"]}}) for line in lines
                    if isinstance(line, dict)] if lines else []
    except errors.ApiError:
        req.company.objects["order"].pop(order["id"], None)
        raise
    refs = []
    for line in prepared:
        store.insert(req.company, "orderline", line)
        refs.append({"id": line["id"]})
    order["orderLines"] = refs
    store._fire(req.company, "order", "create", order)
    return value_response(req, "order", order, 201)


def _orderline_check_refs(req: Request, obj: dict, old) -> None:
    if obj["order"]["id"] and req.company.get("order", obj["order"]["id"]) is None:
        raise errors.validation("order.id", "Ordren finnes ikke.")


BEHAVIOURS["orderline"].check = _orderline_check_refs


def post_orderline(req: Request) -> Response:
    line = prepare_create(req, "orderline", req.body)
    order = get_obj(req, "order", line["order"]["id"])
    req.app.store.insert(req.company, "orderline", line)
    req.app.store.update(req.company, "order", order, {"orderLines": order.get("orderLines", []) + [{"id": line["id"]}]})
    return value_response(req, "orderline", line, 201)


def _kid(number: int) -> str:
    digits = str(number).zfill(8)
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return digits + str((10 - total % 10) % 10)


def _invoice_date(req: Request, raw) -> date:
    if not raw:
        raise errors.required("invoiceDate")
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError):
        raise errors.validation("invoiceDate", "Ugyldig dato.")


def _invoice_number_free(req: Request) -> int:
    # Tripletex's own series, which skips a number the API gave an invoice so it never makes a second one.
    used = {inv.get("invoiceNumber") for inv in req.company.objects["invoice"].values()}
    number = req.company.next_number("invoice")
    while number in used:
        number = req.company.next_number("invoice")
    return number


def _make_invoice(req: Request, order: dict, invoice_date: date, *, number: int = 0, kid: str = "",
                  due: date | None = None) -> dict:
    """An invoice of the order. A number given that another invoice has is refused, as Tripletex does."""
    if order.get("_invoice"):
        raise errors.validation("order", "Ordren er allerede fakturert.")
    if req.app.settings.get("no_bank_account"):
        # Tripletex's words when the company has not registered the bank account invoices are paid to.
        raise errors.validation("invoice", "Faktura kan ikke opprettes før selskapet har registrert et "
                                           "bankkontonummer.")
    lines = [req.company.get("orderline", r["id"]) for r in order.get("orderLines", [])]
    lines = [ln for ln in lines if ln is not None]
    if not lines:
        raise errors.validation("orderLines", "Ordren har ingen ordrelinjer.")
    if number:
        if any(inv.get("invoiceNumber") == number for inv in req.company.objects["invoice"].values()):
            raise errors.validation("invoiceNumber", f"Fakturanummer {number} er allerede i bruk.")
    else:
        number = _invoice_number_free(req)
    ex = _money(sum(ln["amountExcludingVatCurrency"] for ln in lines))
    inc = _money(sum(ln["amountIncludingVatCurrency"] for ln in lines))
    due = due or invoice_date + timedelta(days=int(order.get("invoicesDueIn", 14) or 0))
    inv = {"invoiceNumber": number, "invoiceDate": invoice_date.isoformat(), "invoiceDueDate": due.isoformat(),
           "customer": dict(order["customer"]), "orders": [{"id": order["id"]}],
           "orderLines": [{"id": ln["id"]} for ln in lines], "kid": kid or _kid(number),
           "amount": inc, "amountCurrency": inc, "amountExcludingVat": ex, "amountExcludingVatCurrency": ex,
           "amountOutstanding": inc, "amountCurrencyOutstanding": inc, "amountOutstandingTotal": inc,
           "amountCurrencyOutstandingTotal": inc, "isCredited": False, "isCreditNote": False,
           "isCharged": True, "isApproved": True, "deliveryDate": order.get("deliveryDate", invoice_date.isoformat()),
           "invoiceComment": order.get("invoiceComment", ""), "comment": ""}
    if order.get("currency"):
        inv["currency"] = dict(order["currency"])
    req.app.store.insert(req.company, "invoice", inv)
    req.app.store.update(req.company, "order", order, {"_invoice": inv["id"]})
    return inv


def invoice_order(req: Request) -> Response:
    order = get_obj(req, "order")
    inv = _make_invoice(req, order, _invoice_date(req, req.params.get("invoiceDate")))
    paid = req.params.get("paidAmount")
    if paid and req.params.get("paymentTypeId"):
        _pay(req, inv, float(paid))
    return value_response(req, "invoice", inv)


def post_invoice(req: Request) -> Response:
    """`POST /invoice`: the invoice of one order (by id, or a new one inside it), with `invoiceNumber` (0 or
    absent: Tripletex numbers it) and `kid` as given."""
    body = req.body
    if not isinstance(body, dict):
        raise errors.bad_request("Request body must be a JSON object")
    orders = body.get("orders")
    if not isinstance(orders, list) or len(orders) != 1 or not isinstance(orders[0], dict):
        raise errors.validation("orders", "Fakturaen må ha nøyaktig én ordre.")
    invoice_date = _invoice_date(req, body.get("invoiceDate"))
    due = None
    if body.get("invoiceDueDate"):
        try:
            due = date.fromisoformat(body["invoiceDueDate"])
        except (TypeError, ValueError):
            raise errors.validation("invoiceDueDate", "Ugyldig dato.")
    number = body.get("invoiceNumber") or 0
    if not isinstance(number, int) or number < 0:
        raise errors.validation("invoiceNumber", "Fakturanummeret må være et positivt heltall.")
    kid = body.get("kid") or ""
    if not isinstance(kid, str) or (kid and not kid.isdigit()):
        raise errors.validation("kid", "KID kan bare inneholde sifre.")
    ref = orders[0]
    if set(ref) == {"id"}:
        order = get_obj(req, "order", ref["id"])
    else:
        made = post_order(Request(**{**req.__dict__, "body": ref})).body["value"]
        order = req.company.get("order", made["id"])
    customer = (body.get("customer") or {}).get("id")
    if customer is not None and customer != order["customer"]["id"]:
        raise errors.validation("customer", "Kunden på fakturaen er ikke kunden på ordren.")
    inv = _make_invoice(req, order, invoice_date, number=number, kid=kid, due=due)
    paid = req.params.get("paidAmount")
    if paid and req.params.get("paymentTypeId"):
        _pay(req, inv, float(paid))
    return value_response(req, "invoice", inv, 201)


def credit_invoice(req: Request) -> Response:
    """`PUT /invoice/{id}/:createCreditNote?date=`: a credit note for the whole invoice, numbered in Tripletex's
    series, pointing at it (`creditedInvoice`); the invoice is then `isCredited`, and is credited once."""
    inv = get_obj(req, "invoice")
    credit_date = _invoice_date(req, req.params.get("date")) if req.params.get("date") else None
    if credit_date is None:
        raise errors.required("date")
    if inv.get("isCredited") or inv.get("isCreditNote"):
        raise errors.validation("id", f"Faktura {inv['invoiceNumber']} er allerede kreditert.")
    number = _invoice_number_free(req)
    negated = {k: _money(-float(inv[k])) for k in (
        "amount", "amountCurrency", "amountExcludingVat", "amountExcludingVatCurrency", "amountOutstanding",
        "amountCurrencyOutstanding", "amountOutstandingTotal", "amountCurrencyOutstandingTotal")}
    note = {"invoiceNumber": number, "invoiceDate": credit_date.isoformat(), "invoiceDueDate": credit_date.isoformat(),
            "customer": dict(inv["customer"]), "orders": [dict(o) for o in inv.get("orders", [])], "kid": "",
            **negated, "isCredited": False, "isCreditNote": True, "creditedInvoice": inv["id"], "isCharged": True,
            "isApproved": True, "deliveryDate": inv.get("deliveryDate", credit_date.isoformat()),
            "invoiceComment": req.params.get("comment", ""), "comment": req.params.get("comment", "")}
    if inv.get("currency"):
        note["currency"] = dict(inv["currency"])
    req.app.store.insert(req.company, "invoice", note)
    req.app.store.update(req.company, "invoice", inv, {"isCredited": True})
    return value_response(req, "invoice", note)


def _pay(req: Request, inv: dict, amount: float) -> None:
    outstanding = _money(inv["amountOutstanding"] - amount)
    req.app.store.update(req.company, "invoice", inv, {
        "amountOutstanding": outstanding, "amountCurrencyOutstanding": outstanding,
        "amountOutstandingTotal": outstanding, "amountCurrencyOutstandingTotal": outstanding})


def pay_invoice(req: Request) -> Response:
    inv = get_obj(req, "invoice")
    missing = [n for n in ("paymentDate", "paymentTypeId", "paidAmount") if not req.params.get(n)]
    if missing:
        raise errors.required(*missing)
    if req.company.get("payment_type", req.int_param("paymentTypeId")) is None:
        raise errors.validation("paymentTypeId", "Betalingstypen finnes ikke.")
    try:
        amount = float(req.params["paidAmount"])
    except ValueError:
        raise errors.validation("paidAmount", "Beløpet må være et tall.")
    _pay(req, inv, amount)
    return value_response(req, "invoice", inv)


# --- vouchers ----------------------------------------------------------------------------------
# Outgoing VAT is posted by Tripletex itself: a posting with a VAT type carries the gross amount, and
# Tripletex splits it into the net amount on the posting and a system-generated row on the VAT account.
VAT_ACCOUNTS = {25.0: 2700, 15.0: 2701, 12.0: 2702}
# Incoming VAT (a supplier's invoice) is a claim on the state, posted by Tripletex on the input VAT account.
INCOMING_VAT_ACCOUNTS = {"1": 2710, "11": 2710, "13": 2710}


def _vat_rows(req: Request, posting: dict) -> list[dict]:
    vat = req.company.get("vat_type", (posting.get("vatType") or {}).get("id")) if posting.get("vatType") else None
    rate = float((vat or {}).get("percentage", 0))
    account_number = INCOMING_VAT_ACCOUNTS.get(str((vat or {}).get("number")), VAT_ACCOUNTS.get(rate))
    if not rate or account_number is None:
        return []
    gross = float(posting["amountGross"])
    net = _money(gross / (1 + rate / 100))
    posting["amount"] = posting["amountCurrency"] = net
    account = next((a for a in req.company.objects["ledger_account"].values() if a.get("number") == account_number),
                   None)
    if account is None:
        return []
    vat_amount = _money(gross - net)
    return [{"account": {"id": account["id"]}, "amount": vat_amount, "amountCurrency": vat_amount,
             "amountGross": vat_amount, "amountGrossCurrency": vat_amount, "date": posting["date"],
             "description": posting.get("description", ""), "vatType": {"id": vat["id"]}, "systemGenerated": True}]


def post_voucher(req: Request) -> Response:
    body = dict(req.body) if isinstance(req.body, dict) else req.body
    if not isinstance(body, dict):
        raise errors.bad_request("Request body must be a JSON object")
    postings = body.pop("postings", None) or []
    voucher = prepare_create(req, "voucher", body)
    if not postings:
        raise errors.required("postings")
    prepared = []
    for i, p in enumerate(postings, start=1):
        if not isinstance(p, dict):
            raise errors.bad_request("postings must be objects")
        obj = req.app.store.normalize(req.company, "Posting", p)
        gross = obj.get("amountGross", obj.get("amount"))
        if not obj.get("account"):
            raise errors.required(f"postings[{i - 1}].account")
        if gross is None:
            raise errors.required(f"postings[{i - 1}].amountGross")
        obj.setdefault("amountGross", gross)
        obj.setdefault("amountGrossCurrency", gross)
        obj.setdefault("amount", gross)
        obj.setdefault("amountCurrency", gross)
        obj.setdefault("date", voucher["date"])
        obj.setdefault("description", voucher.get("description", ""))
        obj["row"] = i
        prepared.append(obj)
    total = round(sum(float(p["amountGross"]) for p in prepared), 2)
    if abs(total) >= 0.005:
        msg = f"Bilaget er ikke i balanse. Differanse: {total:.2f}."
        raise errors.ApiError(422, 15000, msg, developer="VOUCHER_NOT_BALANCED", validation=[("postings", msg)])
    # A period closed in Tripletex (a company-wide lock from the control API) takes no postings.
    voucher_date = date.fromisoformat(voucher["date"])
    if any(p.employee_id is None and p.covers(voucher_date, None) for p in req.company.locks):
        msg = f"Perioden er stengt for føring. Datoen {voucher['date']} er i en lukket periode."
        raise errors.ApiError(422, 15000, msg, developer="PERIOD_CLOSED", validation=[("date", msg)])
    for p in prepared:
        account = req.company.get("ledger_account", (p.get("account") or {}).get("id"))
        if not account:
            raise errors.validation("postings.account", "Kontoen finnes ikke.")
        # Tripletex posts on a bank account only once the company has given its account number.
        if account.get("isBankAccount") and not account.get("bankAccountNumber"):
            raise errors.validation(
                "postings.account", f"Bankkontoen {account['number']} {account['name']} mangler kontonummer. "
                "Registrer bankkontonummeret på kontoen før du fører på den.")
        project = req.company.get("project", (p.get("project") or {}).get("id"))
        if project and project.get("isClosed"):
            raise errors.validation(
                "postings.project", f"Prosjektet {project.get('number')} {project.get('name')} er avsluttet og "
                "kan ikke føres på.")
    generated = []
    for p in prepared:
        generated += _vat_rows(req, p)
    for i, row in enumerate(generated, start=len(prepared) + 1):
        row["row"] = i
    prepared += generated
    store = req.app.store
    send = req.params.get("sendToLedger", "true").lower() != "false"
    year = int(voucher["date"][:4])
    if send:
        voucher["number"] = req.company.next_number(f"voucher-{year}")
        voucher["year"] = year
        voucher["numberAsString"] = f"{voucher['number']}-{year}"
    else:
        voucher["tempNumber"] = req.company.next_number("voucher-temp")
    store.insert(req.company, "voucher", voucher, fire=False)
    refs = []
    for p in prepared:
        p["voucher"] = {"id": voucher["id"]}
        store.insert(req.company, "posting", p, fire=False)
        refs.append({"id": p["id"]})
    voucher["postings"] = refs
    store._fire(req.company, "voucher", "create", voucher)
    return value_response(req, "voucher", voucher, 201)


def reverse_voucher(req: Request) -> Response:
    """`PUT /ledger/voucher/{id}/:reverse?date=`: a voucher with every posting negated; the two point at each
    other through `reverseVoucher`, and a voucher is reversed once."""
    voucher = get_obj(req, "voucher")
    raw = req.params.get("date")
    if not raw:
        raise errors.required("date")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise errors.validation("date", "Ugyldig dato.")
    if voucher.get("reverseVoucher"):
        raise errors.validation("id", f"Bilag {voucher.get('numberAsString', voucher['id'])} er allerede reversert.")
    if any(p.employee_id is None and p.covers(day, None) for p in req.company.locks):
        msg = f"Perioden er stengt for føring. Datoen {raw} er i en lukket periode."
        raise errors.ApiError(422, 15000, msg, developer="PERIOD_CLOSED", validation=[("date", msg)])
    store = req.app.store
    number = req.company.next_number(f"voucher-{day.year}")
    reversal = {"date": raw, "description": f"Reversering av bilag {voucher.get('numberAsString', '')}".strip(),
                "number": number, "year": day.year, "numberAsString": f"{number}-{day.year}",
                "reverseVoucher": {"id": voucher["id"]}}
    store.insert(req.company, "voucher", reversal, fire=False)
    refs = []
    for ref in voucher.get("postings", []):
        posting = req.company.get("posting", ref["id"])
        if posting is None:
            continue
        copy = {k: v for k, v in posting.items() if k not in ("id", "version", "url", "changes", "voucher")
                and not k.startswith("_")}
        for money in ("amount", "amountCurrency", "amountGross", "amountGrossCurrency"):
            if copy.get(money) is not None:
                copy[money] = _money(-float(copy[money]))
        copy.update(date=raw, voucher={"id": reversal["id"]})
        store.insert(req.company, "posting", copy, fire=False)
        refs.append({"id": copy["id"]})
    reversal["postings"] = refs
    store.update(req.company, "voucher", voucher, {"reverseVoucher": {"id": reversal["id"]}})
    store._fire(req.company, "voucher", "create", reversal)
    return value_response(req, "voucher", reversal)


def _voucher_defaults(req: Request, obj: dict) -> None:
    try:
        date.fromisoformat(obj.get("date", ""))
    except (TypeError, ValueError):
        raise errors.validation("date", "Ugyldig dato.")
    obj.setdefault("description", "")


BEHAVIOURS["voucher"] = Behaviour(required=("date",), defaults=_voucher_defaults)


def post_attachment(req: Request) -> Response:
    voucher = get_obj(req, "voucher", req.path_id("voucherId"))
    ctype = req.headers.get("Content-Type", "")
    if not ctype.startswith("multipart/form-data"):
        raise errors.bad_request("Expected multipart/form-data with a 'file' part")
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + req.raw_body)
    part = next((p for p in msg.iter_parts() if p.get_param("name", header="content-disposition") == "file"), None)
    if part is None:
        raise errors.required("file")
    data = part.get_payload(decode=True) or b""
    doc = {"fileName": part.get_filename() or "attachment", "size": len(data),
           "mimeType": part.get_content_type(), "_bytes": data}
    req.app.store.insert(req.company, "document", doc, fire=False)
    req.app.store.update(req.company, "voucher", voucher, {"attachment": {"id": doc["id"]}})
    return value_response(req, "voucher", voucher)


# --- purchase orders ---------------------------------------------------------------------------
def _po_defaults(req: Request, obj: dict) -> None:
    if not obj.get("number"):
        obj["number"] = str(req.company.next_number("purchase_order"))
    obj.setdefault("creationDate", req.app.clock.oslo_today().isoformat())
    obj.setdefault("isClosed", False)
    obj.setdefault("status", "STATUS_OPEN")
    if not obj.get("ourContact"):
        obj["ourContact"] = {"id": req.company.admin_employee}
    if not obj.get("department"):
        obj["department"] = {"id": req.company.default_department}


BEHAVIOURS["purchase_order"] = Behaviour(required=("supplier", "deliveryDate"), defaults=_po_defaults)


def _po_line_defaults(req: Request, obj: dict) -> None:
    obj.setdefault("count", 1)
    product = req.company.get("product", (obj.get("product") or {}).get("id")) if obj.get("product") else None
    if product is not None:
        obj.setdefault("description", product.get("name", ""))
        obj.setdefault("unitCostCurrency", product.get("costExcludingVatCurrency", 0))
    cost = float(obj.get("unitCostCurrency", obj.get("unitPriceExcludingVatCurrency", 0)) or 0)
    discount = float(obj.get("discount", 0) or 0)
    obj["amountExcludingVatCurrency"] = _money(float(obj["count"] or 0) * cost * (1 - discount / 100))


def _po_line_check(req: Request, obj: dict, old) -> None:
    order = req.company.get("purchase_order", (obj.get("purchaseOrder") or {}).get("id"))
    if order is None:
        raise errors.validation("purchaseOrder.id", "Innkjøpsordren finnes ikke.")
    if order.get("isClosed") or order.get("status") not in (None, "STATUS_OPEN"):
        raise errors.validation("purchaseOrder", "Innkjøpsordren er sendt eller lukket og kan ikke endres.")


BEHAVIOURS["purchase_order_line"] = Behaviour(required=("purchaseOrder",), defaults=_po_line_defaults,
                                              check=_po_line_check)


def _po_lines_add(req: Request, lines: list[dict]) -> None:
    """Store lines and list them on their purchase order (its `orderLines` are read-only in the spec)."""
    for line in lines:
        req.app.store.insert(req.company, "purchase_order_line", line)
        order = req.company.get("purchase_order", line["purchaseOrder"]["id"])
        req.app.store.update(req.company, "purchase_order", order,
                             {"orderLines": order.get("orderLines", []) + [{"id": line["id"]}]})


def post_po_line(req: Request) -> Response:
    line = prepare_create(req, "purchase_order_line", req.body)
    _po_lines_add(req, [line])
    return value_response(req, "purchase_order_line", line, 201)


def post_po_lines(req: Request) -> Response:
    if not isinstance(req.body, list):
        raise errors.bad_request("Request body must be a JSON array")
    lines = [prepare_create(req, "purchase_order_line", b) for b in req.body]  # all or nothing
    _po_lines_add(req, lines)
    return values_response(req, "purchase_order_line", lines, 201)


BEHAVIOURS["po_invoice_relation"] = Behaviour(required=("orderOut", "voucher"))


def register(router) -> None:
    crud(router, "order", post=False, put=True, delete=True)
    router.add("POST", "/order", post_order)
    router.add("POST", "/order/list", _post_orders)
    router.add("POST", "/order/orderline", post_orderline)
    router.add("GET", "/order/orderline/{id}", lambda req: value_response(req, "orderline", get_obj(req, "orderline")))
    router.add("PUT", "/order/{id}/:invoice", invoice_order)
    crud(router, "invoice", post=False, put=False)
    router.add("POST", "/invoice", post_invoice)
    router.add("PUT", "/invoice/{id}/:payment", pay_invoice)
    router.add("PUT", "/invoice/{id}/:createCreditNote", credit_invoice)
    crud(router, "voucher", post=False, put=False)
    router.add("POST", "/ledger/voucher", post_voucher)
    router.add("POST", "/ledger/voucher/{voucherId}/attachment", post_attachment)
    router.add("PUT", "/ledger/voucher/{id}/:reverse", reverse_voucher)
    crud(router, "posting", post=False, put=False)
    router.add("POST", "/purchaseOrder/orderline", post_po_line)
    router.add("POST", "/purchaseOrder/orderline/list", post_po_lines)
    router.add("GET", "/purchaseOrder/orderline/{id}",
               lambda req: value_response(req, "purchase_order_line", get_obj(req, "purchase_order_line")))
    crud(router, "po_invoice_relation", put=False)
    crud(router, "purchase_order", put=True, delete=True)


def _post_orders(req: Request) -> Response:
    if not isinstance(req.body, list):
        raise errors.bad_request("Request body must be a JSON array")
    if len(req.body) > 100:
        raise errors.validation("orders", "Maks 100 ordre per kall.")
    values = []
    for b in req.body:
        values.append(post_order(Request(**{**req.__dict__, "body": b})).body["value"])
    return Response(201, {"fullResultSize": len(values), "from": 0, "count": len(values),
                          "versionDigest": "", "values": values})
