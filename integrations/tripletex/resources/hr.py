"""Employees, activities, wage types and hours: what the wizard and the hours push read and write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from ..paging import Progress
from .base import Fields, ResourceBase


class EmployeeMixin(ResourceBase):
    def employee_list(
        self,
        *,
        ids: Iterable[int] | None = None,
        employee_number: str | None = None,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        params: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> list[dict]:
        query = {
            "id": list(ids) if ids is not None else None,
            "employeeNumber": employee_number,
            "email": email,
            "firstName": first_name,
            "lastName": last_name,
            **(params or {}),
        }
        return self.list_all("/employee", params=query, fields=fields, sorting=sorting, progress=progress)

    def employee_get(self, employee_id: int, *, fields: Fields = None) -> dict:
        return self.read(f"/employee/{employee_id}", fields=fields)

    def employee_create(self, employee: Mapping[str, Any]) -> dict:
        return self._create("/employee", employee)

    def employee_update(self, employee_id: int, changes: Mapping[str, Any], *, version: int) -> dict:
        return self._update(f"/employee/{employee_id}", changes, id=employee_id, version=version)


class ActivityMixin(ResourceBase):
    def activity_list(
        self,
        *,
        name: str | None = None,
        number: str | None = None,
        is_project_activity: bool | None = None,
        is_general: bool | None = None,
        is_inactive: bool | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        params: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> list[dict]:
        query = {
            "name": name,
            "number": number,
            "isProjectActivity": is_project_activity,
            "isGeneral": is_general,
            "isInactive": is_inactive,
            **(params or {}),
        }
        return self.list_all("/activity", params=query, fields=fields, sorting=sorting, progress=progress)

    def activity_list_for_timesheet(
        self, *, project_id: int, employee_id: int | None = None, date: dt.date | None = None, fields: Fields = None
    ) -> list[dict]:
        """Activities an employee may log on a project that day (`GET /activity/>forTimeSheet`)."""
        query = {"projectId": project_id, "employeeId": employee_id, "date": date}
        return self.list_all("/activity/>forTimeSheet", params=query, fields=fields)

    def activity_create(self, activity: Mapping[str, Any]) -> dict:
        return self._create("/activity", activity)


class SalaryTypeMixin(ResourceBase):
    def salary_type_list(
        self,
        *,
        show_in_timesheet: bool | None = None,
        is_inactive: bool | None = None,
        number: str | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        params: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> list[dict]:
        """Wage types (lønnsarter); only `showInTimesheet` ones make sense for hours."""
        query = {"showInTimesheet": show_in_timesheet, "isInactive": is_inactive, "number": number, **(params or {})}
        return self.list_all("/salary/type", params=query, fields=fields, sorting=sorting, progress=progress)


class TimesheetMixin(ResourceBase):
    def timesheet_entry_search(
        self,
        *,
        date_from: dt.date,
        date_to: dt.date,
        employee_ids: Iterable[int] | None = None,
        project_id: int | None = None,
        activity_id: int | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        params: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> list[dict]:
        """Entries from `date_from` (inclusive) to `date_to` (exclusive, as Tripletex has it)."""
        query = {
            "dateFrom": date_from,
            "dateTo": date_to,
            "employeeId": list(employee_ids) if employee_ids is not None else None,
            "projectId": project_id,
            "activityId": activity_id,
            **(params or {}),
        }
        return self.list_all("/timesheet/entry", params=query, fields=fields, sorting=sorting, progress=progress)

    def timesheet_entry_get(self, entry_id: int, *, fields: Fields = None) -> dict:
        return self.read(f"/timesheet/entry/{entry_id}", fields=fields)

    def timesheet_entry_create(self, entry: Mapping[str, Any]) -> dict:
        return self._create("/timesheet/entry", entry)

    def timesheet_entry_create_many(self, entries: list[Mapping[str, Any]]) -> list[dict]:
        """One call for entries of several employees. In doubt, reconcile with `timesheet_entry_search` by
        employee + date + activity + project before sending again."""
        return self._create("/timesheet/entry/list", list(entries))

    def timesheet_entry_update(self, entry_id: int, changes: Mapping[str, Any], *, version: int) -> dict:
        return self._update(f"/timesheet/entry/{entry_id}", changes, id=entry_id, version=version)

    def timesheet_entry_update_many(self, entries: list[Mapping[str, Any]]) -> list[dict]:
        """Each entry must carry `id` and the `version` read, which is what makes a resend harmless."""
        return self._update_many("/timesheet/entry/list", entries)

    def timesheet_entry_delete(self, entry_id: int, *, version: int) -> None:
        self.delete(f"/timesheet/entry/{entry_id}", params={"version": version}, retry_safe=True)

    def timesheet_salary_type_spec_list(
        self,
        *,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        employee_id: int | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        progress: Progress | None = None,
    ) -> list[dict]:
        """Hours registered on a wage type ([BETA] in Tripletex)."""
        query = {"dateFrom": date_from, "dateTo": date_to, "employeeId": employee_id}
        return self.list_all(
            "/timesheet/salaryTypeSpecification", params=query, fields=fields, sorting=sorting, progress=progress
        )

    def timesheet_salary_type_spec_get(self, spec_id: int, *, fields: Fields = None) -> dict:
        return self.read(f"/timesheet/salaryTypeSpecification/{spec_id}", fields=fields)

    def timesheet_salary_type_spec_create(self, spec: Mapping[str, Any]) -> dict:
        return self._create("/timesheet/salaryTypeSpecification", spec)

    def timesheet_salary_type_spec_update(self, spec_id: int, changes: Mapping[str, Any], *, version: int) -> dict:
        return self._update(f"/timesheet/salaryTypeSpecification/{spec_id}", changes, id=spec_id, version=version)

    def timesheet_salary_type_spec_delete(self, spec_id: int) -> None:
        """Tripletex takes no `version` here: read the count first if someone else may have changed it."""
        self.delete(f"/timesheet/salaryTypeSpecification/{spec_id}", retry_safe=True)

    def timesheet_month_status(
        self, *, employee_ids: Iterable[int], month: dt.date | str, fields: Fields = None
    ) -> list[dict]:
        """Monthly status per employee (`approved`, `completed`, `approvedUntilDate`) before sending hours.

        `month` is a date in the month or "YYYY-MM".
        """
        month_year = month if isinstance(month, str) else f"{month.year:04d}-{month.month:02d}"
        query = {"employeeIds": list(employee_ids), "monthYear": month_year}
        return self.list_all("/timesheet/month/byMonthNumber", params=query, fields=fields)

