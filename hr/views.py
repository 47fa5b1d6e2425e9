import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from integrations.hours.selectors import with_transfer_state
from tenants.decorators import APPROVERS, tenant_required

from . import selectors, services
from .forms import DAY_FIELDS, ApprovalFilterForm, TimesheetFormSet
from .models import Employee, Project, TimeEntry


def _own_employee(request) -> Employee | None:
    return Employee.objects.filter(tenant=request.tenant, user=request.user).first()


@tenant_required()
def timesheet(request):
    employee = _own_employee(request)
    start = selectors.parse_iso_week(request.GET.get("uke") or request.POST.get("uke"), default=timezone.localdate())
    week = selectors.iso_week(start)
    if employee is None:
        return render(request, "hr/timesheet.html", {"employee": None})

    initial = [
        {"project": r["project"], "activity": r["activity"], "wage_type": r["wage_type"], "comment": r["comment"],
         **{f"d{i}": h for i, h in r["hours"].items()}}
        for r in selectors.timesheet_rows(tenant=request.tenant, employee=employee, start=start)
    ]
    formset = TimesheetFormSet(request.POST or None, initial=initial, tenant=request.tenant, prefix="rows")
    if request.method == "POST" and formset.is_valid():
        try:
            services.timesheet_week_save(tenant=request.tenant, employee=employee, start=start, rows=formset.rows())
            if "submit" in request.POST:
                n = services.time_entries_submit(
                    tenant=request.tenant, employee=employee, date_from=start, date_to=start + dt.timedelta(days=6)
                )
                messages.success(request, _("Uken er levert til godkjenning (%(n)d føringer).") % {"n": n})
            else:
                messages.success(request, _("Timene er lagret."))
            return redirect(f"{reverse('hr:timesheet')}?uke={week}")
        except ValidationError as exc:
            formset._non_form_errors = formset.error_class(exc.messages)

    fixed_entries = with_transfer_state(TimeEntry.objects.filter(
        tenant=request.tenant, employee=employee, date__gte=start, date__lt=start + dt.timedelta(days=7)
    ).exclude(status__in=TimeEntry.EDITABLE).select_related("project", "activity"))
    return render(request, "hr/timesheet.html", {
        "employee": employee, "formset": formset, "days": selectors.week_days(start), "day_fields": DAY_FIELDS,
        "week": week, "prev_week": selectors.iso_week(start - dt.timedelta(days=7)),
        "next_week": selectors.iso_week(start + dt.timedelta(days=7)), "fixed_entries": fixed_entries,
        "locked_until": request.tenant.hours_locked_until,
    })


@tenant_required(roles=APPROVERS)
def approvals(request):
    form = ApprovalFilterForm(request.GET or {"status": TimeEntry.Status.SUBMITTED})
    form.is_valid()
    data = form.cleaned_data
    start = selectors.parse_iso_week(data.get("week"), default=timezone.localdate()) if data.get("week") else None
    entries = with_transfer_state(selectors.approval_entries(
        tenant=request.tenant, start=start, employee_id=data.get("employee"), project_id=data.get("project"),
        status=data.get("status"),
    ))
    return render(request, "hr/approvals.html", {
        "form": form, "entries": entries[:500], "total": entries.count(),
        "employees": Employee.objects.filter(tenant=request.tenant),
        "projects": Project.objects.filter(tenant=request.tenant),
        "statuses": TimeEntry.Status.choices,
    })


@require_POST
@tenant_required(roles=APPROVERS)
def approvals_bulk(request):
    ids = [int(i) for i in request.POST.getlist("entries") if i.isdigit()]
    entries = TimeEntry.objects.filter(tenant=request.tenant, id__in=ids)
    if request.POST.get("action") == "approve":
        n = services.time_entries_approve(tenant=request.tenant, entries=entries, by=request.user)
        messages.success(request, _("%(n)d føringer godkjent.") % {"n": n})
    elif request.POST.get("action") == "reject":
        n = services.time_entries_reject(tenant=request.tenant, entries=entries, by=request.user)
        messages.success(request, _("%(n)d føringer avvist.") % {"n": n})
    else:
        messages.error(request, _("Velg godkjenn eller avvis."))
    if not ids:
        messages.warning(request, _("Ingen føringer var valgt."))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("hr:approvals")
    return redirect(next_url)
