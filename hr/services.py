"""State changes on the HR side. Views, the API and admin actions call these; they never write models."""
import datetime as dt
from decimal import Decimal

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations import hours as hour_transfers
from integrations.connectors.services import local_change_record
from integrations.models import Link, OutboundChange
from tenants.models import Tenant, User
from tenants.validators import validate_org_number

from .models import Activity, Customer, Employee, Project, TimeEntry, WageType
from .selectors import two_way_sync_on


def time_entry_save(
    *, tenant: Tenant, employee: Employee, date: dt.date, project: Project, activity: Activity,
    hours: Decimal, wage_type: WageType | None = None, comment: str = "", entry: TimeEntry | None = None,
) -> TimeEntry:
    """Create or change one draft entry; raises ValidationError with field messages on bad input."""
    for field, obj in (("employee", employee), ("project", project), ("activity", activity), ("wage_type", wage_type)):
        if obj is not None and obj.tenant_id != tenant.id:
            raise ValidationError({field: _("Ukjent valg.")})
    if project.status != Project.Status.ACTIVE:
        raise ValidationError({"project": _("Prosjektet er ikke aktivt.")})
    if entry is not None and entry.status not in TimeEntry.EDITABLE:
        raise ValidationError(_("Timer som er levert eller godkjent kan ikke endres."))
    _check_not_locked(tenant=tenant, day=date)
    entry = entry or TimeEntry(tenant=tenant, employee=employee)
    entry.date, entry.project, entry.activity = date, project, activity
    entry.hours, entry.wage_type, entry.comment = hours, wage_type, comment
    entry.status = TimeEntry.Status.DRAFT
    entry.full_clean()
    entry.save()
    return entry


def time_entry_delete(*, entry: TimeEntry) -> None:
    if entry.status not in TimeEntry.EDITABLE:
        raise ValidationError(_("Timer som er levert eller godkjent kan ikke slettes."))
    _check_not_locked(tenant=entry.tenant, day=entry.date)
    entry.delete()


def time_entries_submit(*, tenant: Tenant, employee: Employee, date_from: dt.date, date_to: dt.date) -> int:
    """Submit the employee's editable hours in [date_from, date_to] for approval."""
    return time_entries_submit_selected(tenant=tenant, entries=TimeEntry.objects.filter(
        tenant=tenant, employee=employee, date__gte=date_from, date__lte=date_to,
    ))


def time_entries_submit_selected(*, tenant: Tenant, entries: QuerySet[TimeEntry]) -> int:
    """Submit the editable ones of `entries` for approval; others are left as they are."""
    return entries.filter(tenant=tenant, status__in=TimeEntry.EDITABLE).update(
        status=TimeEntry.Status.SUBMITTED, updated_at=timezone.now()
    )


def time_entries_approve(*, tenant: Tenant, entries: QuerySet[TimeEntry], by: User) -> int:
    """Approve submitted entries. The one place hours become approved, so the Tripletex outbox row is
    always written in the same transaction, whether from a page, the API or a bulk action."""
    with transaction.atomic():
        ids = list(entries.filter(tenant=tenant, status=TimeEntry.Status.SUBMITTED).values_list("id", flat=True))
        if not ids:
            return 0
        n = TimeEntry.objects.filter(tenant=tenant, id__in=ids, status=TimeEntry.Status.SUBMITTED).update(
            status=TimeEntry.Status.APPROVED, approved_by=by, approved_at=timezone.now(), updated_at=timezone.now()
        )
        hour_transfers.on_entries_approved(tenant=tenant, entry_ids=ids)
    return n


def time_entries_reject(*, tenant: Tenant, entries: QuerySet[TimeEntry], by: User) -> int:
    """Send submitted (or approved) entries back to the employee.

    Rejecting an approved entry takes it back from Tripletex too, through the same hook.
    """
    with transaction.atomic():
        rows = list(entries.filter(
            tenant=tenant, status__in=(TimeEntry.Status.SUBMITTED, TimeEntry.Status.APPROVED)
        ).values_list("id", "status"))
        if not rows:
            return 0
        ids = [i for i, _s in rows]
        was_approved = [i for i, s in rows if s == TimeEntry.Status.APPROVED]
        n = TimeEntry.objects.filter(tenant=tenant, id__in=ids).update(
            status=TimeEntry.Status.REJECTED, approved_by=None, approved_at=None, updated_at=timezone.now()
        )
        if was_approved:
            hour_transfers.on_entries_unapproved(tenant=tenant, entry_ids=was_approved)
    return n


def _check_not_locked(*, tenant: Tenant, day: dt.date) -> None:
    if tenant.hours_locked_until and day <= tenant.hours_locked_until:
        raise ValidationError(
            _("Uken er låst: timer til og med %(date)s kan ikke endres.") % {"date": tenant.hours_locked_until.strftime("%d.%m.%Y")}
        )


@transaction.atomic
def timesheet_week_save(*, tenant: Tenant, employee: Employee, start: dt.date, rows: list[dict]) -> None:
    """Make the employee's editable hours for the week equal to `rows`.

    Each row: project, activity, wage_type (or None), comment and hours {weekday index 0-6: Decimal}.
    Submitted and approved hours are not touched; they still count toward the 24 hours of a day.
    """
    days = [start + dt.timedelta(days=i) for i in range(7)]
    existing = list(TimeEntry.objects.select_for_update().filter(tenant=tenant, employee=employee, date__in=days))
    fixed_per_day: dict[dt.date, Decimal] = {d: Decimal(0) for d in days}
    editable: dict[tuple, TimeEntry] = {}
    for e in existing:
        if e.status in TimeEntry.EDITABLE:
            editable[(e.project_id, e.activity_id, e.wage_type_id, e.date)] = e
        else:
            fixed_per_day[e.date] += e.hours

    wanted: dict[tuple, tuple[dict, Decimal]] = {}
    for row in rows:
        for index, hours in row["hours"].items():
            if hours:
                key = (row["project"].id, row["activity"].id, row["wage_type"].id if row["wage_type"] else None, days[index])
                wanted[key] = (row, hours)

    per_day = dict(fixed_per_day)
    for (_p, _a, _w, day), (_row, hours) in wanted.items():
        per_day[day] += hours
    for day, total in per_day.items():
        if total > 24:
            raise ValidationError(_("Mer enn 24 timer %(date)s.") % {"date": day.strftime("%d.%m.%Y")})

    for key, entry in editable.items():
        if key not in wanted:
            time_entry_delete(entry=entry)
    for key, (row, hours) in wanted.items():
        entry = editable.get(key)
        if entry is not None and entry.hours == hours and entry.comment == row["comment"]:
            continue
        _check_not_locked(tenant=tenant, day=key[3])
        time_entry_save(
            tenant=tenant, employee=employee, date=key[3], project=row["project"], activity=row["activity"],
            wage_type=row["wage_type"], hours=hours, comment=row["comment"], entry=entry,
        )



# Projects, customers and employees. Every change goes through these functions, so a switched-on
# connector hears of it in the same transaction, whichever page, command or API made it.

PROJECT_FIELDS = (
    "number", "name", "start_date", "end_date", "parent", "is_internal", "customer", "project_manager", "status",
)
CUSTOMER_FIELDS = (
    "customer_number", "name", "org_number", "email", "phone", "address", "postal_code", "city", "currency",
    "payment_terms_days", "status",
)
EMPLOYEE_FIELDS = ("first_name", "last_name", "email", "employee_number", "active")


# Seed 000: Tripletex does not let an integration set a customer inactive; it is done in Tripletex.
CUSTOMER_INACTIVE_REFUSED = gettext_lazy(
    "Tripletex tillater ikke at vi setter en kunde til inaktiv. Sett kunden inaktiv i Tripletex."
)


def _assign(instance: models.Model, *, data: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    """Set `data` on `instance`; returns the names of the fields whose value changed."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"not fields of {type(instance).__name__}: {sorted(unknown)}")
    changed = []
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def _check_same_tenant(*, tenant: Tenant, **related: models.Model | None) -> None:
    for field, obj in related.items():
        if obj is not None and obj.tenant_id != tenant.id:
            raise ValidationError({field: _("Ukjent valg.")})


def _record(*, tenant: Tenant, kind: str, obj: models.Model, number: str, op: str) -> None:
    # The snapshot is what a log line needs should the row be gone when the connector runs.
    local_change_record(
        tenant=tenant, kind=kind, local_id=obj.id, op=op, snapshot={"label": str(obj), "number": number},
    )


def _project_validate(project: Project, *, tenant: Tenant) -> None:
    _check_same_tenant(
        tenant=tenant, parent=project.parent, customer=project.customer, project_manager=project.project_manager,
    )
    ancestor, seen = project.parent, set()
    while ancestor is not None and ancestor.pk not in seen:
        if project.pk is not None and ancestor.pk == project.pk:
            raise ValidationError({"parent": _("Et prosjekt kan ikke være underprosjekt av seg selv.")})
        seen.add(ancestor.pk)
        ancestor = ancestor.parent
    if project.start_date and project.end_date and project.end_date < project.start_date:
        raise ValidationError({"end_date": _("Sluttdatoen kan ikke være før startdatoen.")})
    project.full_clean(exclude=["tenant"])


@transaction.atomic
def project_create(
    *, tenant: Tenant, name: str, number: str = "", start_date: dt.date | None = None, end_date: dt.date | None = None,
    parent: Project | None = None, is_internal: bool = False, customer: Customer | None = None,
    project_manager: Employee | None = None, status: str = Project.Status.ACTIVE,
) -> Project:
    """A new project; raises ValidationError with field messages on bad input."""
    project = Project(tenant=tenant)
    _assign(project, allowed=PROJECT_FIELDS, data={
        "number": number, "name": name, "start_date": start_date, "end_date": end_date, "parent": parent,
        "is_internal": is_internal, "customer": customer, "project_manager": project_manager, "status": status,
    })
    _project_validate(project, tenant=tenant)
    project.save()
    _record(tenant=tenant, kind=Link.Kind.PROJECT, obj=project, number=project.number, op=_project_op(project))
    return project


@transaction.atomic
def project_update(*, tenant: Tenant, project: Project, data: dict[str, Any]) -> Project:
    """Change some of `PROJECT_FIELDS`; nothing is written, nor queued for Tripletex, if nothing differs."""
    project = Project.objects.select_for_update().get(pk=project.pk, tenant=tenant)
    changed = _assign(project, data=data, allowed=PROJECT_FIELDS)
    if not changed:
        return project
    _project_validate(project, tenant=tenant)
    project.save()
    _record(tenant=tenant, kind=Link.Kind.PROJECT, obj=project, number=project.number, op=_project_op(project))
    return project


@transaction.atomic
def project_delete(*, tenant: Tenant, project: Project) -> Project:
    """Mark the project Slettet. The row stays: its hours, sub-projects and Tripletex link must survive."""
    project = Project.objects.select_for_update().get(pk=project.pk, tenant=tenant)
    if project.status == Project.Status.DELETED:
        return project
    project.status = Project.Status.DELETED
    project.save(update_fields=["status", "updated_at"])
    _record(tenant=tenant, kind=Link.Kind.PROJECT, obj=project, number=project.number, op=OutboundChange.Op.DELETE)
    return project


def _project_op(project: Project) -> str:
    return OutboundChange.Op.DELETE if project.status == Project.Status.DELETED else OutboundChange.Op.UPSERT


def _customer_validate(customer: Customer, *, tenant: Tenant, old_status: str | None) -> None:
    if customer.org_number:
        try:
            validate_org_number(customer.org_number)
        except ValidationError as exc:
            raise ValidationError({"org_number": exc.messages}) from exc
    customer.currency = customer.currency.upper()
    if not (len(customer.currency) == 3 and customer.currency.isascii() and customer.currency.isalpha()):
        raise ValidationError({"currency": _("Valuta skrives som en valutakode på tre bokstaver, for eksempel NOK.")})
    if (
        old_status == Customer.Status.ACTIVE and customer.status == Customer.Status.INACTIVE
        and two_way_sync_on(tenant=tenant)
    ):
        raise ValidationError({"status": CUSTOMER_INACTIVE_REFUSED})
    customer.full_clean(exclude=["tenant"])


def _customer_op(customer: Customer) -> str:
    return OutboundChange.Op.DELETE if customer.status == Customer.Status.DELETED else OutboundChange.Op.UPSERT


@transaction.atomic
def customer_create(
    *, tenant: Tenant, name: str, customer_number: str = "", org_number: str = "", email: str = "", phone: str = "",
    address: str = "", postal_code: str = "", city: str = "", currency: str = "NOK", payment_terms_days: int = 14,
    status: str = Customer.Status.ACTIVE,
) -> Customer:
    """A new customer; raises ValidationError with field messages on bad input."""
    customer = Customer(tenant=tenant)
    _assign(customer, allowed=CUSTOMER_FIELDS, data={
        "customer_number": customer_number, "name": name, "org_number": org_number, "email": email, "phone": phone,
        "address": address, "postal_code": postal_code, "city": city, "currency": currency,
        "payment_terms_days": payment_terms_days, "status": status,
    })
    _customer_validate(customer, tenant=tenant, old_status=None)
    customer.save()
    _record(tenant=tenant, kind=Link.Kind.CUSTOMER, obj=customer, number=customer.customer_number,
            op=_customer_op(customer))
    return customer


@transaction.atomic
def customer_update(*, tenant: Tenant, customer: Customer, data: dict[str, Any]) -> Customer:
    """Change some of `CUSTOMER_FIELDS`; nothing is written, nor queued for Tripletex, if nothing differs.

    While the two-way connector is on, an active customer cannot be set inactive here (seed 000).
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk, tenant=tenant)
    old_status = customer.status
    changed = _assign(customer, data=data, allowed=CUSTOMER_FIELDS)
    if not changed:
        return customer
    _customer_validate(customer, tenant=tenant, old_status=old_status)
    customer.save()
    _record(tenant=tenant, kind=Link.Kind.CUSTOMER, obj=customer, number=customer.customer_number,
            op=_customer_op(customer))
    return customer


@transaction.atomic
def customer_delete(*, tenant: Tenant, customer: Customer) -> Customer:
    """Mark the customer Slettet. The row stays: its projects and Tripletex link must survive."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk, tenant=tenant)
    if customer.status == Customer.Status.DELETED:
        return customer
    customer.status = Customer.Status.DELETED
    customer.save(update_fields=["status", "updated_at"])
    _record(tenant=tenant, kind=Link.Kind.CUSTOMER, obj=customer, number=customer.customer_number,
            op=OutboundChange.Op.DELETE)
    return customer


def _employee_number_taken() -> ValidationError:
    return ValidationError({"employee_number": _("Ansattnummeret er allerede i bruk i selskapet.")})


def _employee_save(employee: Employee, *, tenant: Tenant) -> None:
    if employee.employee_number and Employee.objects.filter(
        tenant=tenant, employee_number=employee.employee_number,
    ).exclude(pk=employee.pk).exists():
        raise _employee_number_taken()
    employee.full_clean(exclude=["tenant", "user"], validate_constraints=False)
    try:
        # Two saves racing past the check above meet the unique constraint: still a form error.
        with transaction.atomic():
            employee.save()
    except IntegrityError as exc:
        raise _employee_number_taken() from exc


@transaction.atomic
def employee_create(
    *, tenant: Tenant, first_name: str, last_name: str = "", email: str = "", employee_number: str = "",
    active: bool = True,
) -> Employee:
    """A new employee; raises ValidationError with field messages on bad input, a taken number among them."""
    employee = Employee(tenant=tenant)
    _assign(employee, allowed=EMPLOYEE_FIELDS, data={
        "first_name": first_name, "last_name": last_name, "email": email, "employee_number": employee_number,
        "active": active,
    })
    _employee_save(employee, tenant=tenant)
    _record(tenant=tenant, kind=Link.Kind.EMPLOYEE, obj=employee, number=employee.employee_number,
            op=OutboundChange.Op.UPSERT)
    return employee


@transaction.atomic
def employee_update(*, tenant: Tenant, employee: Employee, data: dict[str, Any]) -> Employee:
    """Change some of `EMPLOYEE_FIELDS`; nothing is written, nor queued for Tripletex, if nothing differs."""
    employee = Employee.objects.select_for_update().get(pk=employee.pk, tenant=tenant)
    if not _assign(employee, data=data, allowed=EMPLOYEE_FIELDS):
        return employee
    _employee_save(employee, tenant=tenant)
    _record(tenant=tenant, kind=Link.Kind.EMPLOYEE, obj=employee, number=employee.employee_number,
            op=OutboundChange.Op.UPSERT)
    return employee


def employee_deactivate(*, tenant: Tenant, employee: Employee) -> Employee:
    """What "delete" means for an employee: set inactive, so their hours and login stay.

    Queued as a change, not a delete: Tripletex has no inactive employees, and the connector's rule
    for an inactive one (not sent) is the same whether the box was unticked or this button pressed.
    """
    return employee_update(tenant=tenant, employee=employee, data={"active": False})
