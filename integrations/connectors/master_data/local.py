"""Our side of the two-way sync: find our rows and links, and write Tripletex's values into our rows.

Rows are written here directly, not through the HR services: a change that came from Tripletex must not
be queued to go back to Tripletex (no ping-pong).
"""
from __future__ import annotations

import datetime as dt

from django.db.models import Model

from hr.models import Customer, Employee, Project
from tenants.models import Tenant

from ...models import Link
from .rules import CUSTOMER, EMPLOYEE, PROJECT

MODELS: dict[str, type[Model]] = {PROJECT: Project, CUSTOMER: Customer, EMPLOYEE: Employee}


def row_get(*, tenant: Tenant, kind: str, local_id: int) -> Model | None:
    return MODELS[kind].objects.filter(tenant=tenant, id=local_id).first()


def link_for_local(*, tenant: Tenant, company_id: int, kind: str, local_id: int) -> Link | None:
    return Link.objects.filter(tenant=tenant, tripletex_company_id=company_id, kind=kind, local_id=local_id).first()


def link_for_remote(*, tenant: Tenant, company_id: int, kind: str, tripletex_id: int) -> Link | None:
    return Link.objects.filter(
        tenant=tenant, tripletex_company_id=company_id, kind=kind, tripletex_id=tripletex_id,
    ).first()


def values_apply(row: Model, kind: str, values: dict, *, fields: set[str] | None = None) -> list[str]:
    """Write synced `values` (all, or only `fields`) into our row; returns the model fields changed, unsaved.

    `closed` and `inactive` map onto our statuses as seed 000's matrices say: closed in Tripletex is
    completed here; a project or customer already deleted here stays deleted.
    """
    wanted = set(values) if fields is None else set(fields) & set(values)
    changed: list[str] = []

    def put(field: str, value) -> None:
        if getattr(row, field) != value:
            setattr(row, field, value)
            changed.append(field)

    for name in wanted:
        value = values[name]
        if kind == PROJECT and name == "closed":
            if row.status != Project.Status.DELETED:
                put("status", Project.Status.COMPLETED if value else Project.Status.ACTIVE)
        elif kind == CUSTOMER and name == "inactive":
            if row.status != Customer.Status.DELETED:
                put("status", Customer.Status.INACTIVE if value else Customer.Status.ACTIVE)
        elif name in ("start_date", "end_date"):
            put(name, _as_date(value))
        else:
            put(name, value)
    return changed


def _as_date(value):
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def employee_number_next(*, tenant: Tenant) -> str:
    """The next free employee number here: one past the highest all-digit number the company has."""
    numbers = Employee.objects.filter(tenant=tenant).exclude(employee_number="").values_list("employee_number", flat=True)
    highest = max((int(n) for n in numbers if n.isascii() and n.isdigit() and len(n) < 18), default=0)
    return str(highest + 1)
