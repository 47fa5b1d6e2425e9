"""Projects: read for the wizard and the reconcile, written by the two-way project sync."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..paging import Progress
from .base import Fields, ResourceBase


class ProjectMixin(ResourceBase):
    def project_list(
        self,
        *,
        number: str | None = None,
        name: str | None = None,
        is_closed: bool | None = None,
        customer_id: int | None = None,
        start_date_from: dt.date | None = None,
        start_date_to: dt.date | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        params: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> list[dict]:
        """`number` is an exact match in Tripletex, so a connector can trust a single hit."""
        query = {
            "number": number,
            "name": name,
            "isClosed": is_closed,
            "customerId": customer_id,
            "startDateFrom": start_date_from,
            "startDateTo": start_date_to,
            **(params or {}),
        }
        return self.list_all("/project", params=query, fields=fields, sorting=sorting, progress=progress)

    def project_list_for_timesheet(
        self, *, employee_id: int | None = None, date: dt.date | None = None, fields: Fields = None
    ) -> list[dict]:
        """Projects an employee may log hours on that day (`GET /project/>forTimeSheet`)."""
        return self.list_all("/project/>forTimeSheet", params={"employeeId": employee_id, "date": date}, fields=fields)

    def project_get(self, project_id: int, *, fields: Fields = None) -> dict:
        return self.read(f"/project/{project_id}", fields=fields)

    def project_create(self, project: Mapping[str, Any]) -> dict:
        """Tripletex requires `name`, `startDate` and `projectManager` on create."""
        return self._create("/project", project)

    def project_create_many(self, projects: list[Mapping[str, Any]]) -> list[dict]:
        return self._create("/project/list", list(projects))

    def project_update(self, project_id: int, changes: Mapping[str, Any], *, version: int) -> dict:
        return self._update(f"/project/{project_id}", changes, id=project_id, version=version)

    def project_update_many(self, projects: list[Mapping[str, Any]]) -> list[dict]:
        return self._update_many("/project/list", projects)
