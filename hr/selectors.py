"""Reads for the HR pages."""
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Length

from integrations.connectors.services import enabled_connectors
from tenants.models import Tenant

from .models import Customer, Employee, Project, TimeEntry

# The connector that keeps projects, customers and employees in step both ways (seed 000).
TWO_WAY_CONNECTOR = "master_data"


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_days(start: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(7)]


# Weeks the pages can show with their neighbours: the timesheet links the week before and after, so the
# first and last weeks Python's dates can hold (0001-W01, 9999-W52) are out, as is any year no one records
# hours in.
FIRST_WEEK_YEAR, LAST_WEEK_YEAR = 1900, 2999


def parse_iso_week(value: str | None, *, default: dt.date) -> dt.date:
    """'2026-W48' → the Monday of that week; anything unreadable or out of range → the week of `default`."""
    try:
        year, week = value.split("-W")
        if not (year.isascii() and week.isascii() and FIRST_WEEK_YEAR <= int(year) <= LAST_WEEK_YEAR):
            raise ValueError(value)
        return dt.date.fromisocalendar(int(year), int(week), 1)
    except (AttributeError, ValueError):
        return week_start(default)


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def timesheet_rows(*, tenant: Tenant, employee: Employee, start: dt.date) -> list[dict]:
    """The week's editable entries as grid rows: one per project/activity/wage type, hours per weekday.

    Submitted and approved hours are listed apart and never enter the grid, so saving it cannot touch them.
    """
    entries = (
        TimeEntry.objects.filter(
            tenant=tenant, employee=employee, date__gte=start, date__lt=start + dt.timedelta(days=7),
            status__in=TimeEntry.EDITABLE,
        )
        .select_related("project", "activity", "wage_type")
        .order_by("project__number", "activity__name", "id")
    )
    rows: dict[tuple, dict] = {}
    for e in entries:
        key = (e.project_id, e.activity_id, e.wage_type_id)
        row = rows.setdefault(key, {
            "project": e.project_id, "activity": e.activity_id, "wage_type": e.wage_type_id,
            "comment": e.comment, "hours": defaultdict(Decimal),
        })
        row["hours"][(e.date - start).days] += e.hours
    return list(rows.values())


def approval_entries(
    *, tenant: Tenant, start: dt.date | None, employee_id: int | None, project_id: int | None, status: str | None,
) -> QuerySet[TimeEntry]:
    qs = TimeEntry.objects.filter(tenant=tenant).select_related("employee", "project", "activity", "wage_type")
    if start:
        qs = qs.filter(date__gte=start, date__lt=start + dt.timedelta(days=7))
    if employee_id:
        qs = qs.filter(employee_id=employee_id)
    if project_id:
        qs = qs.filter(project_id=project_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("employee__first_name", "employee__last_name", "date", "id")


def two_way_sync_on(*, tenant: Tenant) -> bool:
    """Whether changes made here to projects, customers and employees go to Tripletex now."""
    return any(c.name == TWO_WAY_CONNECTOR for c in enabled_connectors(tenant=tenant))


def _search(qs: QuerySet, q: str, fields: tuple[str, ...]) -> QuerySet:
    """Every word must be found in one of `fields`, so "kari hansen" finds Kari Hansen."""
    for word in q.split():
        match = Q()
        for field in fields:
            match |= Q(**{f"{field}__icontains": word})
        qs = qs.filter(match)
    return qs


def _by_number(field: str) -> list:
    """Numbers in numeric order (9 before 10) when they are digits, and rows without a number last."""
    return [
        Case(When(**{field: ""}, then=Value(1)), default=Value(0), output_field=IntegerField()),
        Length(field), field,
    ]


def _status_filter(qs: QuerySet, status: str, *, deleted: str) -> QuerySet:
    """"" hides deleted rows, "all" shows every row, a status shows only its rows."""
    if status == "all":
        return qs
    if status:
        return qs.filter(status=status)
    return qs.exclude(status=deleted)


def project_list(*, tenant: Tenant, q: str = "", status: str = "", sort: str = "number") -> QuerySet[Project]:
    qs = Project.objects.filter(tenant=tenant).select_related("parent", "customer", "project_manager")
    qs = _status_filter(_search(qs, q, ("number", "name", "customer__name")), status, deleted=Project.Status.DELETED)
    order = ["name"] if sort == "name" else [*_by_number("number"), "name"]
    return qs.order_by(*order, "id")


def customer_list(*, tenant: Tenant, q: str = "", status: str = "", sort: str = "number") -> QuerySet[Customer]:
    qs = Customer.objects.filter(tenant=tenant)
    qs = _search(qs, q, ("customer_number", "name", "org_number", "email", "city"))
    qs = _status_filter(qs, status, deleted=Customer.Status.DELETED)
    order = ["name"] if sort == "name" else [*_by_number("customer_number"), "name"]
    return qs.order_by(*order, "id")


def employee_list(*, tenant: Tenant, q: str = "", status: str = "", sort: str = "name") -> QuerySet[Employee]:
    """status: "" active only (an employee's "delete" makes it inactive), "inactive", or "all"."""
    qs = _search(Employee.objects.filter(tenant=tenant), q, ("first_name", "last_name", "email", "employee_number"))
    if status == "inactive":
        qs = qs.filter(active=False)
    elif status != "all":
        qs = qs.filter(active=True)
    order = ["first_name", "last_name"]
    if sort == "number":
        order = [*_by_number("employee_number"), *order]
    return qs.order_by(*order, "id")


def project_usage(*, tenant: Tenant, project: Project) -> dict:
    """What stays attached to a project when it is deleted, for the confirmation page."""
    return {
        "hours": TimeEntry.objects.filter(tenant=tenant, project=project).count(),
        "subprojects": Project.objects.filter(tenant=tenant, parent=project)
        .exclude(status=Project.Status.DELETED).count(),
    }


def customer_usage(*, tenant: Tenant, customer: Customer) -> dict:
    return {"projects": Project.objects.filter(tenant=tenant, customer=customer).count()}


def employee_usage(*, tenant: Tenant, employee: Employee) -> dict:
    return {"hours": TimeEntry.objects.filter(tenant=tenant, employee=employee).count()}
