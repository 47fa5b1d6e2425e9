"""Activation (seed 001): what the wizard fetches from Tripletex, and what Ferdigstill will do with each object.

Data flows one way here, Tripletex → HR. The rules below decide, per object, whether it is created,
updated, left unchanged (only linked) or skipped, and why; the wizard shows the reason to the admin.
"""
import datetime as dt
from collections.abc import Callable, Iterable

from django.utils.translation import gettext_lazy as _

from hr.models import Employee, Project, WageType
from tenants.models import Tenant

from ..models import Link
from ..tripletex import TripletexClient

PROJECT, WAGE_TYPE, EMPLOYEE = "project", "wage_type", "employee"
KINDS = (PROJECT, WAGE_TYPE, EMPLOYEE)

# Skip rules, in the admin's words. Each is checked in this order; the first that holds wins.
SKIP_SUBPROJECT = _("Underprosjekt: timer føres på hovedprosjektet")
SKIP_CLOSED = _("Avsluttet i Tripletex")
SKIP_NO_START = _("Mangler startdato i Tripletex")
SKIP_NO_LAST_NAME = _("Mangler etternavn i Tripletex")
SKIP_LEFT = _("Har sluttet (arbeidsforholdet er avsluttet)")
SKIP_INACTIVE_WAGE = _("Inaktiv lønnsart")
SKIP_NOT_IN_TIMESHEET = _("Lønnsarten brukes ikke i timelister")

def skip_codes() -> dict[str, str]:
    """The skip rules that mean Tripletex takes no hours on the object, as worded in the active language → the
    `Link.Unusable` code the rest of the product reads."""
    return {str(SKIP_CLOSED): Link.Unusable.CLOSED, str(SKIP_NOT_IN_TIMESHEET): Link.Unusable.HIDDEN,
            str(SKIP_INACTIVE_WAGE): Link.Unusable.INACTIVE, str(SKIP_LEFT): Link.Unusable.LEFT}


RULES = {
    PROJECT: [SKIP_SUBPROJECT, SKIP_CLOSED, SKIP_NO_START],
    WAGE_TYPE: [SKIP_INACTIVE_WAGE, SKIP_NOT_IN_TIMESHEET],
    EMPLOYEE: [SKIP_NO_LAST_NAME, SKIP_LEFT],
}

FIELDS = {
    PROJECT: "id,version,number,name,startDate,endDate,isClosed,isInternal,mainProject(id)",
    WAGE_TYPE: "id,version,number,name,showInTimesheet",
    EMPLOYEE: "id,version,firstName,lastName,employeeNumber,email,employments(startDate,endDate)",
}

MODELS = {PROJECT: Project, WAGE_TYPE: WageType, EMPLOYEE: Employee}
LINK_KINDS = {PROJECT: Link.Kind.PROJECT, WAGE_TYPE: Link.Kind.WAGE_TYPE, EMPLOYEE: Link.Kind.EMPLOYEE}


def fetch(client: TripletexClient, kind: str, progress: Callable[[int, int], None]) -> list[dict]:
    """Every object of `kind` in the Tripletex company, page by page, reporting (fetched, total)."""
    if kind == PROJECT:
        return client.project_list(fields=FIELDS[PROJECT], progress=progress)
    if kind == WAGE_TYPE:
        # SalaryType has no inactive field to select, only a filter: ask which ids are inactive separately.
        inactive = {o["id"] for o in client.salary_type_list(is_inactive=True, fields="id")}
        types = client.salary_type_list(fields=FIELDS[WAGE_TYPE], progress=progress)
        return [{**t, "isInactive": t["id"] in inactive} for t in types]
    if kind == EMPLOYEE:
        return client.employee_list(fields=FIELDS[EMPLOYEE], progress=progress)
    raise ValueError(kind)


def _has_left(employments: list[dict], today: dt.date) -> bool:
    if not employments:
        return False
    return all(e.get("endDate") and dt.date.fromisoformat(e["endDate"]) < today for e in employments)


def normalise(kind: str, obj: dict, today: dt.date) -> tuple[dict, str]:
    """Tripletex's object → (our model's fields, skip reason or '')."""
    if kind == PROJECT:
        data = {
            "number": str(obj.get("number") or ""), "name": obj.get("name") or "",
            "start_date": obj.get("startDate") or None, "end_date": obj.get("endDate") or None,
            "is_internal": bool(obj.get("isInternal")),
        }
        if obj.get("mainProject"):
            return data, str(SKIP_SUBPROJECT)
        if obj.get("isClosed"):
            return data, str(SKIP_CLOSED)
        if not obj.get("startDate"):
            return data, str(SKIP_NO_START)
        return data, ""
    if kind == WAGE_TYPE:
        data = {"number": str(obj.get("number") or ""), "name": obj.get("name") or ""}
        if obj.get("isInactive"):
            return data, str(SKIP_INACTIVE_WAGE)
        if obj.get("showInTimesheet") is False:
            return data, str(SKIP_NOT_IN_TIMESHEET)
        return data, ""
    if kind == EMPLOYEE:
        data = {
            "first_name": obj.get("firstName") or "", "last_name": obj.get("lastName") or "",
            "email": (obj.get("email") or "").lower(), "employee_number": str(obj.get("employeeNumber") or ""),
        }
        if not data["last_name"].strip():
            return data, str(SKIP_NO_LAST_NAME)
        if _has_left(obj.get("employments") or [], today):
            return data, str(SKIP_LEFT)
        return data, ""
    raise ValueError(kind)


def display(kind: str, data: dict) -> tuple[str, str]:
    """(number, name) as the lists show them."""
    if kind == EMPLOYEE:
        return data["employee_number"], f"{data['first_name']} {data['last_name']}".strip()
    return data["number"], data["name"]


class Matcher:
    """Finds our row for a Tripletex object: its link first, then a natural key. Two queries per kind, not per row."""

    def __init__(self, tenant: Tenant, company_id: int, kind: str):
        self.kind = kind
        links = Link.objects.filter(tenant=tenant, tripletex_company_id=company_id, kind=LINK_KINDS[kind])
        self.by_link = dict(links.values_list("tripletex_id", "local_id"))
        linked_locals = set(self.by_link.values())
        model = MODELS[kind]
        fields = ["id", *FIELD_NAMES[kind]]
        self.rows = {row["id"]: row for row in model.objects.filter(tenant=tenant).values(*fields)}
        self.by_key: dict[str, int] = {}
        for row in self.rows.values():
            if row["id"] in linked_locals:
                continue  # already linked to another Tripletex object: never take it twice
            for key in natural_keys(kind, row):
                self.by_key.setdefault(key, row["id"])

    def match(self, tripletex_id: int, data: dict) -> int | None:
        local = self.by_link.get(tripletex_id)
        if local in self.rows:
            return local
        for key in natural_keys(self.kind, data):
            if key in self.by_key:
                return self.by_key[key]
        return None

    def changes(self, local_id: int, data: dict) -> dict:
        """Fields Tripletex would change. An empty value in Tripletex never blanks one we have."""
        row = self.rows[local_id]
        return {
            f: [_plain(row[f]), _plain(data[f])] for f in FIELD_NAMES[self.kind]
            if _plain(row[f]) != _plain(data[f]) and data[f] not in ("", None)
        }


FIELD_NAMES = {
    PROJECT: ["number", "name", "start_date", "end_date", "is_internal"],
    WAGE_TYPE: ["number", "name"],
    EMPLOYEE: ["first_name", "last_name", "email", "employee_number"],
}


def model_values(kind: str, data: dict) -> dict:
    """A planned object's fields as our model takes them (dates as dates)."""
    values = {f: data[f] for f in FIELD_NAMES[kind]}
    for f in ("start_date", "end_date"):
        if values.get(f):
            values[f] = dt.date.fromisoformat(values[f])
    return values


def natural_keys(kind: str, row: dict) -> Iterable[str]:
    """Keys that identify the same thing on both sides when no link exists yet."""
    if kind in (PROJECT, WAGE_TYPE):
        if row.get("number"):
            yield f"number:{row['number']}"
    elif kind == EMPLOYEE:
        if row.get("email"):
            yield f"email:{row['email'].lower()}"
        if row.get("employee_number"):
            yield f"number:{row['employee_number']}"


def _plain(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return value if value is not None else None
