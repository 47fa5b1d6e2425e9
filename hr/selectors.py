"""Reads for the HR pages."""
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import QuerySet

from tenants.models import Tenant

from .models import Employee, TimeEntry


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_days(start: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(7)]


def parse_iso_week(value: str | None, *, default: dt.date) -> dt.date:
    """'2026-W48' → the Monday of that week; anything unreadable → the week of `default`."""
    try:
        year, week = value.split("-W")
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
