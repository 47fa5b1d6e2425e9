"""Master data endpoints: employee, department, project, activity, salary type, customer,
supplier, product, ledger account and payment type, with the rules Tripletex enforces."""
from __future__ import annotations

from datetime import date

from . import errors
from .resources import BEHAVIOURS, Behaviour, crud, h_post_list, list_response
from .routing import Request, Response

PROJECT_ACTIVITY_TYPES = ("PROJECT_GENERAL_ACTIVITY", "PROJECT_SPECIFIC_ACTIVITY")


def _default_department(req: Request, obj: dict) -> None:
    if not obj.get("department"):
        obj["department"] = {"id": req.company.default_department}


def _employee_defaults(req: Request, obj: dict) -> None:
    _default_department(req, obj)
    obj.setdefault("userType", "STANDARD")
    obj.setdefault("isContact", False)
    obj.setdefault("companyId", req.company.id)
    _display_name(obj)


def _display_name(obj: dict) -> None:
    obj["displayName"] = " ".join(x for x in (obj.get("firstName"), obj.get("lastName")) if x)


def _employee_check(req: Request, obj: dict, old) -> None:
    _display_name(obj)
    number = obj.get("employeeNumber")
    if number:
        for other in req.company.objects["employee"].values():
            if other.get("employeeNumber") == number and other["id"] != obj.get("id", -1) and other is not old:
                raise errors.validation("employeeNumber", f"Ansattnummeret {number} er allerede i bruk.")


def _project_defaults(req: Request, obj: dict) -> None:
    _default_department(req, obj)
    _numbered("project", "number", as_str=True)(req, obj)
    obj.setdefault("isClosed", False)
    obj.setdefault("isInternal", False)
    obj.setdefault("isOffer", False)
    obj.setdefault("isFixedPrice", False)


def _project_check(req: Request, obj: dict, old) -> None:
    start, end = obj.get("startDate"), obj.get("endDate")
    _date("startDate", start)
    if end:
        _date("endDate", end)
        if start and end < start:
            raise errors.validation("endDate", "Sluttdato kan ikke være før startdato.")
    main = obj.get("mainProject")
    if main and old is not None and main.get("id") == old["id"]:
        raise errors.validation("mainProject", "Et prosjekt kan ikke være sitt eget hovedprosjekt.")
    # Tripletex allows one project per number (seed 000 skips sub-projects for this reason).
    _unique(req, "project", "number", obj, old, "Prosjektnummeret er i bruk.")
    obj["displayName"] = f"{obj.get('number', '')} {obj.get('name', '')}".strip()


def _unique(req: Request, kind: str, field: str, obj: dict, old, message: str) -> None:
    value = obj.get(field)
    if value in (None, "") or (old is not None and old.get(field) == value):
        return
    if any(str(other.get(field)) == str(value) and other is not old for other in req.company.objects[kind].values()):
        raise errors.validation(field, message)


def _date(field: str, value) -> None:
    if value is None:
        return
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        raise errors.validation(field, "Ugyldig dato, bruk formatet YYYY-MM-DD.")


def _activity_defaults(req: Request, obj: dict) -> None:
    obj.setdefault("activityType", "GENERAL_ACTIVITY")
    obj.setdefault("isChargeable", False)
    if not obj.get("number"):
        obj["number"] = str(req.company.next_number("activity"))


def _activity_check(req: Request, obj: dict, old) -> None:
    t = obj.get("activityType")
    obj["isProjectActivity"] = t in PROJECT_ACTIVITY_TYPES
    obj["isGeneral"] = t == "GENERAL_ACTIVITY"
    obj["isTask"] = t == "TASK"
    obj["isDisabled"] = bool(obj.get("isInactive", False))
    obj["displayName"] = obj.get("name", "")
    obj.setdefault("deletable", True)
    rate = obj.get("rate")
    if rate is not None and (not isinstance(rate, (int, float)) or rate < 0):
        raise errors.validation("rate", "Timepris må være et positivt tall.")


def _numbered(counter: str, field: str, as_str: bool = False):
    def defaults(req: Request, obj: dict) -> None:
        if obj.get(field) in (None, "", 0):
            n = req.company.next_number(counter)
            obj[field] = str(n) if as_str else n
        else:
            # Keep the counter ahead of numbers chosen by the client so generated ones never collide.
            try:
                req.company.counters[counter] = max(req.company.counters[counter], int(obj[field]))
            except (TypeError, ValueError):
                pass
    return defaults


def _customer_defaults(req: Request, obj: dict) -> None:
    _numbered("customer", "customerNumber")(req, obj)
    obj.setdefault("isCustomer", True)
    obj.setdefault("isSupplier", False)
    obj.setdefault("isInactive", False)
    obj.setdefault("isPrivateIndividual", False)
    obj["displayName"] = f"{obj.get('name', '')} ({obj['customerNumber']})"


def _customer_check(req: Request, obj: dict, old) -> None:
    _unique(req, "customer", "customerNumber", obj, old, "Kundenummeret er i bruk.")


def _supplier_check(req: Request, obj: dict, old) -> None:
    _unique(req, "supplier", "supplierNumber", obj, old, "Leverandørnummeret er i bruk.")


def _product_check(req: Request, obj: dict, old) -> None:
    # Tripletex keeps one product per number: a second create with it is refused, not duplicated.
    _unique(req, "product", "number", obj, old, "Produktnummeret er i bruk.")


def _supplier_defaults(req: Request, obj: dict) -> None:
    _numbered("supplier", "supplierNumber")(req, obj)
    obj.setdefault("isSupplier", True)
    obj.setdefault("isCustomer", False)
    obj.setdefault("isInactive", False)
    obj.setdefault("isPrivateIndividual", False)


def _product_defaults(req: Request, obj: dict) -> None:
    _numbered("product", "number", as_str=True)(req, obj)
    obj.setdefault("isInactive", False)
    obj.setdefault("isStockItem", False)
    if not obj.get("vatType"):
        obj["vatType"] = {"id": req.company.counters["vat_high"]}


def _in_list(field: str):
    def test(obj: dict, value: str, req) -> bool:
        return str(obj.get(field)) in {v.strip() for v in value.split(",")}
    return test


def _containing(field: str):
    return lambda obj, value, req: value.lower() in str(obj.get(field, "")).lower()


BEHAVIOURS.update({
    "employee": Behaviour(required=("firstName", "lastName"), defaults=_employee_defaults, check=_employee_check,
                          ignore_params=("includeContacts", "onlyContacts")),
    "project": Behaviour(required=("name", "projectManager", "startDate"), defaults=_project_defaults,
                         check=_project_check),
    "activity": Behaviour(required=("name", "activityType"), defaults=_activity_defaults, check=_activity_check,
                          filters={"isInactive": lambda o, v, r: bool(o.get("isInactive", False)) == (v == "true")}),
    "salary_type": Behaviour(filters={
        "isInactive": lambda o, v, r: bool(o.get("isInactive", False)) == (v == "true")},
        ignore_params=("employeeIds",)),
    "customer": Behaviour(required=("name",), defaults=_customer_defaults, check=_customer_check, filters={
        "customerAccountNumber": _in_list("customerNumber"), "customerName": _containing("name")}),
    "supplier": Behaviour(required=("name",), defaults=_supplier_defaults, check=_supplier_check, filters={
        "supplierNumber": _in_list("supplierNumber")}),
    "product": Behaviour(required=("name",), defaults=_product_defaults, check=_product_check, filters={
        "productNumber": _in_list("number"), "number": _in_list("number")}),
    "department": Behaviour(required=("name",)),
})


def projects_for_timesheet(req: Request) -> Response:
    day = req.params.get("date") or req.app.clock.oslo_today().isoformat()
    _date("date", day)
    objs = [p for p in req.company.objects["project"].values()
            if not p.get("isClosed") and p.get("startDate") and p["startDate"] <= day
            and (not p.get("endDate") or p["endDate"] >= day)]
    objs.sort(key=lambda p: p["id"])
    return list_response(req, "project", objs)


def activities_for_timesheet(req: Request) -> Response:
    project_id = req.int_param("projectId", required=True)
    project = req.company.get("project", project_id) if project_id else None
    if project_id and project is None:
        raise errors.not_found("Project")
    wanted_project = project is not None
    objs = [a for a in req.company.objects["activity"].values()
            if not a.get("isInactive") and a.get("isProjectActivity", False) == wanted_project]
    objs.sort(key=lambda a: a["id"])
    return list_response(req, "activity", objs)


def register(router) -> None:
    crud(router, "employee")
    router.add("POST", "/employee/list", h_post_list("employee"))
    crud(router, "department", put=True)
    crud(router, "project", delete=True, lists=True)
    router.add("GET", "/project/>forTimeSheet", projects_for_timesheet)
    crud(router, "activity", put=False)
    router.add("POST", "/activity/list", h_post_list("activity"))
    router.add("GET", "/activity/>forTimeSheet", activities_for_timesheet)
    crud(router, "salary_type", post=False, put=False)
    crud(router, "customer", delete=True, lists=True)
    crud(router, "supplier", delete=True, lists=True)
    crud(router, "product", delete=True, lists=True)
    crud(router, "ledger_account", put=True)
    crud(router, "payment_type", post=False, put=False)
    crud(router, "vat_type", post=False, put=False)
    crud(router, "currency", post=False, put=False)
    crud(router, "country", post=False, put=False)
    crud(router, "employment", put=True)
