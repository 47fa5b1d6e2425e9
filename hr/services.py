"""State changes on the HR side. Views, the API and admin actions call these; they never write models."""
import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import hours as hour_transfers
from tenants.models import Tenant, User

from .models import Activity, Employee, Project, TimeEntry, WageType


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
    return TimeEntry.objects.filter(
        tenant=tenant, employee=employee, date__gte=date_from, date__lte=date_to, status__in=TimeEntry.EDITABLE
    ).update(status=TimeEntry.Status.SUBMITTED, updated_at=timezone.now())


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
