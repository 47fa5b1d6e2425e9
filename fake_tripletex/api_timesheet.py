"""Timesheet endpoints: entries (single and /list), hours per salary type, month status.

Rules reproduced: one entry per employee/date/activity/project; entries in a locked
period cannot be created, changed or deleted and read back with ``locked: true`` (the
refusal is 422, or 423 code 10000 with the ``locked_status`` setting: Tripletex documents
both); ``/list`` calls are all-or-nothing.
"""
from __future__ import annotations

import calendar
from datetime import date, timedelta

from . import errors
from .resources import BEHAVIOURS, Behaviour, crud, get_obj, list_response, prepare_create, prepare_update, \
    value_response, values_response
from .routing import Request, Response
from .store import Company


def entry_key(obj: dict) -> tuple:
    return (obj["employee"]["id"], obj["date"], obj["activity"]["id"], (obj.get("project") or {}).get("id", 0))


def reindex(company: Company) -> None:
    company.timesheet_keys = {entry_key(e): e["id"] for e in company.objects["timesheet_entry"].values()}
    refresh_locked(company)


def refresh_locked(company: Company) -> None:
    for e in company.objects["timesheet_entry"].values():
        e["locked"] = company.is_locked(date.fromisoformat(e["date"]), e["employee"]["id"])


def duplicate_error(req: Request, what: str) -> errors.ApiError:
    status = req.app.settings.get("duplicate_status", 409)
    message = f"Duplikat: det finnes allerede {what}."
    if status == 422:
        return errors.ApiError(422, 15000, message, validation=[("date", message)])
    return errors.ApiError(409, 14000, message, developer="DUPLICATE_ENTRY")


def locked_error(req: Request, day: str) -> errors.ApiError:
    msg = f"Perioden er låst: timer for {day} er godkjent eller avsluttet og kan ikke endres."
    if req.app.settings.get("locked_status", 422) == 423:
        return errors.ApiError(423, 10000, msg, developer="TIMESHEET_PERIOD_LOCKED")
    return errors.ApiError(422, 15000, msg, developer="TIMESHEET_PERIOD_LOCKED", validation=[("date", msg)])


def _parse_day(value) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise errors.validation("date", "Ugyldig dato, bruk formatet YYYY-MM-DD.")


def _entry_check(req: Request, obj: dict, old) -> None:
    company = req.company
    day = _parse_day(obj["date"])
    hours = obj.get("hours")
    if not isinstance(hours, (int, float)) or isinstance(hours, bool) or hours < 0 or hours > 24:
        raise errors.validation("hours", "Timer må være et tall mellom 0 og 24.")
    employee_id = obj["employee"]["id"]
    if company.is_locked(day, employee_id):
        raise locked_error(req, obj["date"])
    if old is not None and company.is_locked(_parse_day(old["date"]), old["employee"]["id"]):
        raise locked_error(req, old["date"])
    activity = company.get("activity", obj["activity"]["id"])
    project = company.get("project", (obj.get("project") or {}).get("id")) if obj.get("project") else None
    if activity is not None and activity.get("isProjectActivity") and project is None:
        raise errors.validation("project", "Prosjekt må fylles ut for en prosjektaktivitet.")
    if project is not None and project.get("isClosed"):
        raise errors.validation("project", f"Prosjektet {project.get('number')} er avsluttet.")
    rate = (activity or {}).get("rate", 0)
    chargeable = bool((activity or {}).get("isChargeable")) and not (project or {}).get("isInternal", False)
    obj["hourlyRate"] = rate
    obj["chargeable"] = chargeable
    obj["chargeableHours"] = hours if chargeable else 0
    obj["locked"] = False
    obj.setdefault("comment", "")


BEHAVIOURS["timesheet_entry"] = Behaviour(required=("employee", "activity", "date", "hours"), check=_entry_check)


def _claim_keys(req: Request, objs: list[dict], olds: list[dict | None]) -> None:
    """Apply the uniqueness rule to a whole batch, including duplicates inside the batch."""
    keys = req.company.timesheet_keys
    seen: dict[tuple, int] = {}
    for i, (obj, old) in enumerate(zip(objs, olds)):
        k = entry_key(obj)
        owner = keys.get(k)
        if (owner is not None and (old is None or owner != old["id"])) or k in seen:
            raise duplicate_error(req, f"en timeføring for ansatt {k[0]} den {k[1]} på aktivitet {k[2]}"
                                       f"{' og prosjekt ' + str(k[3]) if k[3] else ''}")
        seen[k] = i


def _store_entries(req: Request, objs: list[dict]) -> None:
    for o in objs:
        req.app.store.insert(req.company, "timesheet_entry", o)
        req.company.timesheet_keys[entry_key(o)] = o["id"]


def post_entry(req: Request) -> Response:
    obj = prepare_create(req, "timesheet_entry", req.body)
    _claim_keys(req, [obj], [None])
    _store_entries(req, [obj])
    return value_response(req, "timesheet_entry", obj, 201)


def post_entries(req: Request) -> Response:
    if not isinstance(req.body, list):
        raise errors.bad_request("Request body must be a JSON array")
    objs = [prepare_create(req, "timesheet_entry", b) for b in req.body]
    _claim_keys(req, objs, [None] * len(objs))
    _store_entries(req, objs)
    return values_response(req, "timesheet_entry", objs, 201)


def _apply_updates(req: Request, bodies: list) -> list[dict]:
    pairs = []
    for b in bodies:
        if not isinstance(b, dict):
            raise errors.bad_request("Request body must be a JSON object")
        obj = get_obj(req, "timesheet_entry", int(b["id"])) if "id" in b else get_obj(req, "timesheet_entry")
        changes = prepare_update(req, "timesheet_entry", obj, b)
        pairs.append((obj, changes))
    news = [{**o, **c} for o, c in pairs]
    _claim_keys(req, news, [o for o, _ in pairs])
    for obj, changes in pairs:
        req.company.timesheet_keys.pop(entry_key(obj), None)
        req.app.store.update(req.company, "timesheet_entry", obj, changes)
        req.company.timesheet_keys[entry_key(obj)] = obj["id"]
    return [o for o, _ in pairs]


def put_entry(req: Request) -> Response:
    body = dict(req.body) if isinstance(req.body, dict) else req.body
    if isinstance(body, dict):
        body["id"] = req.path_id()
    return value_response(req, "timesheet_entry", _apply_updates(req, [body])[0])


def put_entries(req: Request) -> Response:
    if not isinstance(req.body, list):
        raise errors.bad_request("Request body must be a JSON array")
    if any(not isinstance(b, dict) or "id" not in b for b in req.body):
        raise errors.required("id")
    return values_response(req, "timesheet_entry", _apply_updates(req, req.body))


def delete_entry(req: Request) -> Response:
    obj = get_obj(req, "timesheet_entry")
    req.app.store.check_version("timesheet_entry", obj, req.params.get("version") or None)
    if req.company.is_locked(_parse_day(obj["date"]), obj["employee"]["id"]):
        raise locked_error(req, obj["date"])
    req.company.timesheet_keys.pop(entry_key(obj), None)
    req.app.store.delete(req.company, "timesheet_entry", obj)
    return Response(204, None)


def list_entries(req: Request) -> Response:
    resp = list_response(req, "timesheet_entry")
    if resp.status == 200:
        # sumAllHours covers the whole result set, not just the page.
        from .resources import build_filters
        tests = build_filters(req, "timesheet_entry")
        total = sum(e["hours"] for e in req.company.objects["timesheet_entry"].values() if all(t(e) for t in tests))
        resp.body["sumAllHours"] = total
    return resp


# --- hours per salary type ---------------------------------------------------------------------
def _spec_check(req: Request, obj: dict, old) -> None:
    day = _parse_day(obj["date"])
    if req.company.is_locked(day, obj["employee"]["id"]):
        raise locked_error(req, obj["date"])
    count = obj.get("count")
    if not isinstance(count, (int, float)) or isinstance(count, bool) or count < 0:
        raise errors.validation("count", "Antall må være et positivt tall.")
    st = req.company.get("salary_type", obj["salaryType"]["id"])
    if st is not None and (not st.get("showInTimesheet") or st.get("isInactive")):
        raise errors.validation("salaryType", f"Lønnsart {st.get('number')} kan ikke brukes i timelisten.")
    key = (obj["employee"]["id"], obj["date"], obj["salaryType"]["id"])
    for other in req.company.objects["salary_type_spec"].values():
        if other is not old and (other["employee"]["id"], other["date"], other["salaryType"]["id"]) == key \
                and (old is None or other["id"] != old["id"]):
            raise duplicate_error(req, f"en spesifikasjon for ansatt {key[0]} den {key[1]} på lønnsart {key[2]}")
    obj.setdefault("description", "")


BEHAVIOURS["salary_type_spec"] = Behaviour(required=("employee", "salaryType", "date", "count"), check=_spec_check)


# --- month status ------------------------------------------------------------------------------
def month_by_number(req: Request) -> Response:
    raw_ids = req.params.get("employeeIds") or str(req.session.employee_id)
    month = req.params.get("monthYear", "")
    try:
        year, mon = (int(x) for x in month.split("-"))
        first = date(year, mon, 1)
    except ValueError:
        raise errors.validation("monthYear", "Bruk formatet YYYY-MM.")
    days = calendar.monthrange(year, mon)[1]
    statuses = []
    for raw in raw_ids.split(","):
        emp_id = int(raw)
        if req.company.get("employee", emp_id) is None:
            raise errors.not_found("Employee")
        locked_days = [first + timedelta(d) for d in range(days) if req.company.is_locked(first + timedelta(d), emp_id)]
        approved = len(locked_days) == days
        entries = [{"id": e["id"]} for e in req.company.objects["timesheet_entry"].values()
                   if e["employee"]["id"] == emp_id and e["date"].startswith(month)]
        st = {"id": emp_id * 1000000 + year * 100 + mon, "version": 0, "employee": {"id": emp_id},
              "timesheetEntries": entries, "completed": approved, "approved": approved, "monthYear": month}
        if locked_days:
            last = max(locked_days)
            st["approvedUntilDate"] = last.isoformat()
            period = next(p for p in req.company.locks if p.covers(last, emp_id))
            if period.approved_by:
                st["approvedBy"] = {"id": period.approved_by}
            if period.approved_date:
                st["approvedDate"] = period.approved_date.isoformat()
        statuses.append(st)
    from .render import parse_fields
    r = req.renderer()
    tree = parse_fields(req.params.get("fields"))
    values = [r.render(s, "MonthlyStatus", tree) for s in statuses]
    return Response(200, {"fullResultSize": len(values), "from": 0, "count": len(values),
                          "versionDigest": str(hash(tuple((s["id"], s["approved"]) for s in statuses))),
                          "values": values})


def register(router) -> None:
    router.add("GET", "/timesheet/entry", list_entries)
    router.add("GET", "/timesheet/entry/{id}", lambda req: value_response(req, "timesheet_entry",
                                                                            get_obj(req, "timesheet_entry")))
    router.add("POST", "/timesheet/entry", post_entry)
    router.add("PUT", "/timesheet/entry/{id}", put_entry)
    router.add("DELETE", "/timesheet/entry/{id}", delete_entry)
    router.add("POST", "/timesheet/entry/list", post_entries)
    router.add("PUT", "/timesheet/entry/list", put_entries)
    crud(router, "salary_type_spec", delete=True)
    router.add("GET", "/timesheet/month/byMonthNumber", month_by_number)
