"""The control API under ``/_fake/`` (no auth): tests and demos steer the fake with it.

Endpoints (JSON in, JSON out):
  GET    /_fake/health
  POST   /_fake/companies                      {name, employees, projects, wage_types, customers, suppliers,
                                                products, activities, applications: [...], demo: bool
                                                (made as Demo AS is)}
  GET    /_fake/companies
  POST   /_fake/companies/{cid}/tokens         {application, employee_id?}  -> employee token
  POST   /_fake/tokens/revoke                  {token}
  POST   /_fake/tokens/rights                  {token, deny: [{path, methods?}]}   the token's employee lacks the
                                               right: those calls get 403 code 9000 (paths and methods checked
                                               against the spec; [] gives every right back)
  GET    /_fake/tokens
  POST   /_fake/consumers                      {application}  -> consumer token for a new application
  GET    /_fake/companies/{cid}/objects/{kind}
  POST   /_fake/companies/{cid}/objects/{kind}            create as a Tripletex user would (fires webhooks)
  PUT    /_fake/companies/{cid}/objects/{kind}/{id}       change fields (fires webhooks)
  DELETE /_fake/companies/{cid}/objects/{kind}/{id}
  POST   /_fake/companies/{cid}/subscriptions/{id}/disable   {status?}   as Tripletex does after too many
                                               failed deliveries (default DISABLED_TOO_MANY_ERRORS)
  POST   /_fake/companies/{cid}/locks          {date_from, date_to, employee_id?, approved_by?}   (dates
                                               inclusive; approved_by: the employee who approved, default the
                                               company's administrator)
  DELETE /_fake/companies/{cid}/locks
  GET    /_fake/calls[?company_id=]            DELETE /_fake/calls
  GET|POST|DELETE /_fake/faults                see faults.FIELDS
  POST   /_fake/rate_limit                     {limit, window}
  POST   /_fake/clock {now?, offset_seconds?}  DELETE /_fake/clock
  POST   /_fake/settings                       {duplicate_status: 409|422, locked_status: 422|423,
                                                ignore_changed_since: bool,
                                                no_bank_account: bool, no_bank_account_orders: bool}
  GET|DELETE /_fake/violations
  GET    /_fake/webhooks                       deliveries made so far
  POST   /_fake/reset                          back to the start state (same demo tokens)
"""
from __future__ import annotations

import json
from datetime import date, datetime

from . import api_timesheet, datagen, errors
from .app import parse_query
from .kinds import KINDS
from .resources import prepare_create, prepare_update
from .routing import Request
from .store import Denial, LockedPeriod

SIZE_KEYS = set(datagen.DEFAULT_SIZES)


def handle(app, method: str, path: str, query: str, raw_body: bytes) -> tuple[int, object]:
    try:
        body = json.loads(raw_body) if raw_body else {}
    except ValueError:
        return 400, {"error": "body is not JSON"}
    parts = [p for p in path.split("/") if p][1:]
    try:
        return _dispatch(app, method, parts, parse_query(query), body)
    except errors.ApiError as exc:
        return exc.status, exc.body("control")
    except (KeyError, ValueError, TypeError) as exc:
        return 400, {"error": f"{type(exc).__name__}: {exc}"}


def company_info(app, company) -> dict:
    store = app.store
    tokens: dict[str, str] = {}
    # The first live token per application is the company's own; later ones were made by tests.
    for t in sorted(store.employee_tokens.values(), key=lambda t: t.id):
        if t.company_id == company.id and not t.revoked:
            tokens.setdefault(t.application, t.token)
    return {"id": company.id, "name": company.name, "employee_tokens": tokens}


def startup_info(app) -> dict:
    return {"base_url": app.base_url, "consumer_token": app.store.consumer_token_for("GrønnJobb"),
            "companies": [company_info(app, c) for c in app.store.companies.values()]}


def seed_demo(app) -> None:
    company = datagen.create_company(app.store, "Demo AS", demo=True, applications=["GrønnJobb", "Annen app"])
    if not hasattr(app, "demo_tokens"):
        app.demo_tokens = company_info(app, company)["employee_tokens"]


def _dispatch(app, method, parts, params, body):
    store = app.store
    head = parts[0] if parts else ""
    if head == "health":
        return 200, {"ok": True}
    if head == "reset" and method == "POST":
        reset(app)
        return 200, startup_info(app)
    if head == "companies":
        if len(parts) == 1 and method == "POST":
            sizes = {k: int(v) for k, v in body.items() if k in SIZE_KEYS}
            company = datagen.create_company(store, body.get("name") or "Testfirma AS", sizes,
                                             demo=bool(body.get("demo")), applications=body.get("applications"))
            info = company_info(app, company)
            info["consumer_tokens"] = {app_name: tok for tok, app_name in store.consumer_tokens.items()}
            return 201, info
        if len(parts) == 1:
            return 200, {"values": [company_info(app, c) for c in store.companies.values()]}
        company = store.company(int(parts[1]))
        if len(parts) == 2:
            return 200, company_info(app, company)
        sub = parts[2]
        if sub == "tokens" and method == "POST":
            tok = store.make_employee_token(company, body["application"], body.get("employee_id"))
            return 201, {"id": tok.id, "token": tok.token, "application": tok.application,
                         "company_id": company.id, "employee_id": tok.employee_id}
        if sub == "locks":
            return _locks(app, company, method, body)
        if sub == "subscriptions" and len(parts) == 5 and parts[4] == "disable" and method == "POST":
            return _disable_subscription(app, company, int(parts[3]), body.get("status") or "DISABLED_TOO_MANY_ERRORS")
        if sub == "objects":
            return _objects(app, company, method, parts[3:], body)
    if head == "tokens":
        if len(parts) == 2 and parts[1] == "revoke" and method == "POST":
            ok = store.revoke_employee_token(body["token"])
            return (200, {"revoked": True}) if ok else (404, {"error": "unknown token"})
        if len(parts) == 2 and parts[1] == "rights" and method == "POST":
            return _deny_rights(app, body["token"], body.get("deny") or [])
        with store.lock:
            return 200, {
                "consumer_tokens": [{"application": a, "token": t} for t, a in store.consumer_tokens.items()],
                "employee_tokens": [{"id": t.id, "token": t.token, "company_id": t.company_id,
                                     "application": t.application, "employee_id": t.employee_id,
                                     "revoked": t.revoked} for t in store.employee_tokens.values()]}
    if head == "consumers" and method == "POST":
        return 201, {"application": body["application"], "consumer_token": store.consumer_token_for(body["application"])}
    if head == "calls":
        if method == "DELETE":
            with app._calls_lock:
                app.calls.clear()
                app.company_calls.clear()
            return 200, {"calls": {}}
        with app._calls_lock:
            if params.get("company_id"):
                return 200, {"calls": dict(app.company_calls.get(int(params["company_id"]), {}))}
            return 200, {"calls": dict(app.calls)}
    if head == "faults":
        if method == "POST":
            return 201, app.faults.add(body).public()
        if method == "DELETE":
            app.faults.clear()
        return 200, {"faults": [r.public() for r in app.faults.rules]}
    if head == "rate_limit":
        if method == "POST":
            app.limiter.configure(body.get("limit"), body.get("window"))
        return 200, {"limit": app.limiter.limit, "window": app.limiter.window}
    if head == "clock":
        if method == "DELETE":
            app.clock.reset()
        elif method == "POST":
            now = datetime.fromisoformat(body["now"].replace("Z", "+00:00")) if body.get("now") else None
            app.clock.set(now=now, offset_seconds=body.get("offset_seconds"))
        return 200, {"now": app.clock.now().isoformat(), "oslo_today": app.clock.oslo_today().isoformat()}
    if head == "settings":
        if method == "POST":
            if body.get("duplicate_status") not in (None, 409, 422):
                raise ValueError("duplicate_status must be 409 or 422")
            if body.get("locked_status") not in (None, 422, 423):
                raise ValueError("locked_status must be 422 or 423")
            app.settings.update({k: v for k, v in body.items()
                                 if k in ("duplicate_status", "locked_status", "ignore_changed_since",
                                          "no_bank_account", "no_bank_account_orders")})
        return 200, dict(app.settings)
    if head == "violations":
        if app.validator is None:
            return 200, {"enabled": False, "violations": []}
        if method == "DELETE":
            app.validator.clear()
        return 200, {"enabled": True, "violations": list(app.validator.violations)}
    if head == "webhooks":
        return 200, {"deliveries": list(app.webhooks.delivered)}
    return 404, {"error": f"unknown control endpoint {method} /_fake/{'/'.join(parts)}"}


def _locks(app, company, method, body):
    with app.store.lock:
        if method == "POST":
            approved_by = int(body.get("approved_by") or company.admin_employee or 0) or None
            if approved_by is not None and company.get("employee", approved_by) is None:
                raise ValueError(f"no employee {approved_by} in company {company.id}")
            company.locks.append(LockedPeriod(date.fromisoformat(body["date_from"]),
                                              date.fromisoformat(body["date_to"]), body.get("employee_id"),
                                              approved_by, app.clock.oslo_today()))
        elif method == "DELETE":
            company.locks.clear()
        api_timesheet.refresh_locked(company)
        return 200, {"locks": [{"date_from": p.date_from.isoformat(), "date_to": p.date_to.isoformat(),
                                "employee_id": p.employee_id, "approved_by": p.approved_by}
                               for p in company.locks]}


def _deny_rights(app, token: str, rules: list) -> tuple[int, dict]:
    """Take rights from a token's employee. Each rule must name calls Tripletex's spec has, so a test cannot
    take away a right for a path Tripletex does not serve (and never the session calls themselves)."""
    denials = []
    for rule in rules:
        prefix = "/" + str(rule["path"]).strip("/")
        if prefix.startswith("/token"):
            raise ValueError("session calls need no right and cannot be denied")
        paths = [p for p in app.spec.paths if p == prefix or p.startswith(prefix + "/")]
        if not paths:
            raise ValueError(f"no path in Tripletex's spec starts with {prefix}")
        served = {m.upper() for p in paths for m in app.spec.paths[p] if m in ("get", "post", "put", "delete")}
        methods = {str(m).upper() for m in rule.get("methods") or served}
        if methods - served:
            raise ValueError(f"{sorted(methods - served)} not in the spec for {prefix} (it has {sorted(served)})")
        denials.append(Denial(prefix, frozenset(methods)))
    with app.store.lock:
        tok = app.store.employee_tokens.get(token)
        if tok is None:
            return 404, {"error": "unknown token"}
        tok.denied = denials
        return 200, {"deny": [{"path": d.path, "methods": sorted(d.methods)} for d in denials]}


def _disable_subscription(app, company, sub_id: int, status: str):
    if status == "ACTIVE" or status not in app.spec.schemas["Subscription"]["properties"]["status"]["enum"]:
        raise ValueError(f"not a disabled status: {status}")
    with app.store.lock:
        obj = company.get("subscription", sub_id)
        if obj is None:
            return 404, {"error": "not found"}
        app.store.update(company, "subscription", obj, {"status": status}, fire=False)
        return 200, {"value": app.renderer(company).render(obj, KINDS["subscription"].schema, None,
                                                           KINDS["subscription"].write_only)}


def _objects(app, company, method, rest, body):
    kind = rest[0]
    if kind not in KINDS:
        return 404, {"error": f"unknown kind {kind}; known: {sorted(KINDS)}"}
    k = KINDS[kind]
    store = app.store
    req = Request(method, f"/_fake/{kind}", "", {}, {}, {}, body=body, company=company, app=app)
    with store.lock:
        if len(rest) == 1 and method == "GET":
            r = app.renderer(company)
            return 200, {"values": [r.render(o, k.schema) for o in company.objects[kind].values()]}
        if len(rest) == 1 and method == "POST":
            obj = prepare_create(req, kind, body)
            store.insert(company, kind, obj)
            _after(company, kind)
            return 201, {"value": app.renderer(company).render(obj, k.schema)}
        obj = company.get(kind, int(rest[1]))
        if obj is None:
            return 404, {"error": "not found"}
        if method == "GET":
            return 200, {"value": app.renderer(company).render(obj, k.schema)}
        if method in ("PUT", "PATCH"):
            changes = prepare_update(req, kind, obj, {key: v for key, v in body.items() if key != "version"})
            # Fields a Tripletex user may set but the API treats as read-only (e.g. showInTimesheet).
            props = app.spec.props(k.schema)
            for key, v in body.items():
                if key in props and props[key][2] and key not in ("id", "version", "url", "changes"):
                    changes[key] = v
            if "isInactive" in body:
                changes["isInactive"] = body["isInactive"]
            store.update(company, kind, obj, changes)
            _after(company, kind)
            return 200, {"value": app.renderer(company).render(obj, k.schema)}
        if method == "DELETE":
            store.delete(company, kind, obj)
            _after(company, kind)
            return 200, {"deleted": obj["id"]}
    return 405, {"error": "method not allowed"}


def _after(company, kind):
    if kind == "timesheet_entry":
        api_timesheet.reindex(company)


def reset(app) -> None:
    """Back to the start state; the demo company keeps its tokens so running clients stay valid."""
    store = app.store
    with store.lock:
        old_consumers = dict(store.consumer_tokens)
        had_demo = hasattr(app, "demo_tokens")
        store.clear()
        store.consumer_tokens.update(old_consumers)
        if had_demo:
            seed_demo(app)
            company = next(iter(store.companies.values()))
            # Re-issue the original token strings instead of the freshly generated ones.
            for tok in list(store.employee_tokens.values()):
                del store.employee_tokens[tok.token]
            for application, token in app.demo_tokens.items():
                t = store.make_employee_token(company, application, None)
                del store.employee_tokens[t.token]
                t.token = token
                store.employee_tokens[t.token] = t
    app.faults.clear()
    app.limiter.configure()
    app.clock.reset()
    app.settings.clear()
    app.settings.update({"duplicate_status": 409, "locked_status": 422})
    with app._calls_lock:
        app.calls.clear()
        app.company_calls.clear()
    if app.validator is not None:
        app.validator.clear()
    app.webhooks.delivered.clear()
