import datetime as dt
from collections.abc import Callable
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from integrations.hours.checks import approval_problems, clean_ids
from integrations.hours.selectors import with_transfer_state
from tenants.decorators import APPROVERS, tenant_required
from tenants.ids import posted_ids

from . import selectors, services
from .forms import (
    DAY_FIELDS, ApprovalFilterForm, CustomerForm, EmployeeForm, ProjectForm, RegisterFilterForm, TimesheetFormSet,
)
from .models import Customer, Employee, Project, TimeEntry


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
    shown = list(entries[:500])
    submitted = [e for e in shown if e.status == TimeEntry.Status.SUBMITTED]
    problems = approval_problems(tenant=request.tenant, entries=submitted)
    for entry in shown:
        entry.problems = problems.get(entry.id, [])
        entry.blocked = any(p.blocks for p in entry.problems)
    return render(request, "hr/approvals.html", {
        "form": form, "entries": shown, "total": entries.count(), "submitted_ids": [e.id for e in submitted],
        "blocked": sum(1 for e in submitted if e.blocked),
        "employees": Employee.objects.filter(tenant=request.tenant),
        "projects": Project.objects.filter(tenant=request.tenant),
        "statuses": TimeEntry.Status.choices,
    })


@require_POST
@tenant_required(roles=APPROVERS)
def approvals_bulk(request):
    ids = posted_ids(request.POST, "entries")
    if request.POST.get("action") == "approve_clean":
        # Every submitted entry the page showed, but those Tripletex will not take as things stand.
        shown = posted_ids(request.POST, "shown")
        ids = clean_ids(tenant=request.tenant, entries=TimeEntry.objects.filter(
            tenant=request.tenant, id__in=shown, status=TimeEntry.Status.SUBMITTED,
        ).select_related("project"))
    entries = TimeEntry.objects.filter(tenant=request.tenant, id__in=ids)
    if request.POST.get("action") in ("approve", "approve_clean"):
        n = services.time_entries_approve(tenant=request.tenant, entries=entries, by=request.user)
        messages.success(request, _("%(n)d føringer godkjent.") % {"n": n})
    elif request.POST.get("action") == "reject":
        n = services.time_entries_reject(tenant=request.tenant, entries=entries, by=request.user)
        messages.success(request, _("%(n)d føringer avvist.") % {"n": n})
    else:
        messages.error(request, _("Velg godkjenn eller avvis."))
    if not ids:
        messages.warning(request, _("Ingen føringer var valgt."))
    # Back to the filtered list the form was on: a path of this site only. redirect() would also take a
    # view name ("0", "hr:approvals") and fail on one it cannot reverse, after the hours were approved.
    next_url = request.POST.get("next", "")
    if not (next_url.startswith("/") and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()})):
        next_url = reverse("hr:approvals")
    return HttpResponseRedirect(next_url)


# Registers: projects, customers and employees, for admins and managers. The pages only read forms and
# call the services, which record each change for the two-way connector.

PAGE_SIZE = 50

PROJECT_STATUSES = [
    ("", gettext_lazy("Alle unntatt slettede")), *Project.Status.choices, ("all", gettext_lazy("Alle")),
]
CUSTOMER_STATUSES = [
    ("", gettext_lazy("Alle unntatt slettede")), *Customer.Status.choices, ("all", gettext_lazy("Alle")),
]
EMPLOYEE_STATUSES = [
    ("", gettext_lazy("Aktive")), ("inactive", gettext_lazy("Inaktive")), ("all", gettext_lazy("Alle")),
]


def _register_list(request, *, template: str, rows: Callable, statuses: list, default_sort: str, **context):
    filters = RegisterFilterForm(request.GET, statuses=statuses)
    q, status, sort = filters.value("q"), filters.value("status"), filters.value("sort", default_sort)
    page = Paginator(rows(tenant=request.tenant, q=q, status=status, sort=sort), PAGE_SIZE).get_page(
        request.GET.get("side")
    )
    return render(request, template, {
        "page": page, "q": q, "status": status, "sort": sort, "statuses": statuses,
        # The filters as a query string, for the sort links and the pager to keep.
        "filter_query": urlencode({"q": q, "status": status}), "sort_query": urlencode({"sort": sort}),
        **context,
    })


def _form_saved(request, form: forms.ModelForm, save: Callable[[dict], object]) -> bool:
    """Run `save` with the form's data on a valid POST; a service's ValidationError lands in the form."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        save(form.cleaned_data)
    except ValidationError as exc:
        form.add_error(None, exc)
        return False
    return True


@tenant_required(roles=APPROVERS)
def project_list(request):
    return _register_list(
        request, template="hr/project_list.html", rows=selectors.project_list, statuses=PROJECT_STATUSES,
        default_sort="number", register="projects",
    )


@tenant_required(roles=APPROVERS)
def project_create(request):
    form = ProjectForm(request.POST or None, instance=Project(tenant=request.tenant), tenant=request.tenant)
    if _form_saved(request, form, lambda data: services.project_create(tenant=request.tenant, **data)):
        messages.success(request, _("Prosjektet «%(name)s» er opprettet.") % {"name": form.cleaned_data["name"]})
        return redirect("hr:projects")
    return render(request, "hr/register_form.html", {
        "register": "projects", "form": form, "title": _("Nytt prosjekt"), "back_url": reverse("hr:projects"),
    })


@tenant_required(roles=APPROVERS)
def project_edit(request, project_id: int):
    project = get_object_or_404(Project, pk=project_id, tenant=request.tenant)
    title = str(project)
    deleted = project.status == Project.Status.DELETED
    form = ProjectForm(request.POST or None, instance=project, tenant=request.tenant)
    def save(data):
        services.project_update(tenant=request.tenant, project=project, data=data)

    if _form_saved(request, form, save):
        messages.success(request, _("Prosjektet «%(name)s» er lagret.") % {"name": form.cleaned_data["name"]})
        return redirect("hr:projects")
    return render(request, "hr/register_form.html", {
        "register": "projects", "form": form, "title": title, "back_url": reverse("hr:projects"),
        "deleted_notice": deleted and _("Prosjektet er slettet. Velg en annen status og lagre for å gjenopprette det."),
        "delete_url": None if deleted else reverse("hr:project_delete", args=[project.id]),
        "delete_label": _("Slett prosjekt"),
    })


@tenant_required(roles=APPROVERS)
def project_delete(request, project_id: int):
    project = get_object_or_404(Project, pk=project_id, tenant=request.tenant)
    if request.method == "POST":
        services.project_delete(tenant=request.tenant, project=project)
        messages.success(request, _("Prosjektet «%(name)s» er slettet.") % {"name": project})
        return redirect("hr:projects")
    usage = selectors.project_usage(tenant=request.tenant, project=project)
    return render(request, "hr/register_delete.html", {
        "register": "projects", "title": _("Slette prosjektet «%(name)s»?") % {"name": project},
        "already_deleted": project.status == Project.Status.DELETED,
        "usage": usage, "kind": "project", "two_way": selectors.two_way_sync_on(tenant=request.tenant),
        "button": _("Slett prosjekt"), "cancel_url": reverse("hr:project_edit", args=[project.id]),
    })


@tenant_required(roles=APPROVERS)
def customer_list(request):
    return _register_list(
        request, template="hr/customer_list.html", rows=selectors.customer_list, statuses=CUSTOMER_STATUSES,
        default_sort="number", register="customers",
    )


@tenant_required(roles=APPROVERS)
def customer_create(request):
    two_way = selectors.two_way_sync_on(tenant=request.tenant)
    form = CustomerForm(request.POST or None, instance=Customer(tenant=request.tenant), two_way=two_way)
    if _form_saved(request, form, lambda data: services.customer_create(tenant=request.tenant, **data)):
        messages.success(request, _("Kunden «%(name)s» er opprettet.") % {"name": form.cleaned_data["name"]})
        return redirect("hr:customers")
    return render(request, "hr/register_form.html", {
        "register": "customers", "form": form, "title": _("Ny kunde"), "back_url": reverse("hr:customers"),
    })


@tenant_required(roles=APPROVERS)
def customer_edit(request, customer_id: int):
    customer = get_object_or_404(Customer, pk=customer_id, tenant=request.tenant)
    title = str(customer)
    deleted = customer.status == Customer.Status.DELETED
    two_way = selectors.two_way_sync_on(tenant=request.tenant)
    form = CustomerForm(request.POST or None, instance=customer, two_way=two_way)
    def save(data):
        services.customer_update(tenant=request.tenant, customer=customer, data=data)

    if _form_saved(request, form, save):
        messages.success(request, _("Kunden «%(name)s» er lagret.") % {"name": form.cleaned_data["name"]})
        return redirect("hr:customers")
    return render(request, "hr/register_form.html", {
        "register": "customers", "form": form, "title": title, "back_url": reverse("hr:customers"),
        "deleted_notice": deleted and _("Kunden er slettet. Velg en annen status og lagre for å gjenopprette den."),
        "delete_url": None if deleted else reverse("hr:customer_delete", args=[customer.id]),
        "delete_label": _("Slett kunde"),
    })


@tenant_required(roles=APPROVERS)
def customer_delete(request, customer_id: int):
    customer = get_object_or_404(Customer, pk=customer_id, tenant=request.tenant)
    if request.method == "POST":
        services.customer_delete(tenant=request.tenant, customer=customer)
        messages.success(request, _("Kunden «%(name)s» er slettet.") % {"name": customer})
        return redirect("hr:customers")
    return render(request, "hr/register_delete.html", {
        "register": "customers", "title": _("Slette kunden «%(name)s»?") % {"name": customer},
        "already_deleted": customer.status == Customer.Status.DELETED,
        "usage": selectors.customer_usage(tenant=request.tenant, customer=customer), "kind": "customer",
        "two_way": selectors.two_way_sync_on(tenant=request.tenant),
        "button": _("Slett kunde"), "cancel_url": reverse("hr:customer_edit", args=[customer.id]),
    })


@tenant_required(roles=APPROVERS)
def employee_list(request):
    return _register_list(
        request, template="hr/employee_list.html", rows=selectors.employee_list, statuses=EMPLOYEE_STATUSES,
        default_sort="name", register="employees",
    )


@tenant_required(roles=APPROVERS)
def employee_create(request):
    form = EmployeeForm(request.POST or None, instance=Employee(tenant=request.tenant))
    if _form_saved(request, form, lambda data: services.employee_create(tenant=request.tenant, **data)):
        messages.success(request, _("Den ansatte «%(name)s» er opprettet.") % {
            "name": f"{form.cleaned_data['first_name']} {form.cleaned_data['last_name']}".strip(),
        })
        return redirect("hr:employees")
    return render(request, "hr/register_form.html", {
        "register": "employees", "form": form, "title": _("Ny ansatt"), "back_url": reverse("hr:employees"),
    })


@tenant_required(roles=APPROVERS)
def employee_edit(request, employee_id: int):
    employee = get_object_or_404(Employee, pk=employee_id, tenant=request.tenant)
    title = str(employee)
    active = employee.active
    form = EmployeeForm(request.POST or None, instance=employee)
    def save(data):
        services.employee_update(tenant=request.tenant, employee=employee, data=data)

    if _form_saved(request, form, save):
        messages.success(request, _("Den ansatte «%(name)s» er lagret.") % {
            "name": f"{form.cleaned_data['first_name']} {form.cleaned_data['last_name']}".strip(),
        })
        return redirect("hr:employees")
    return render(request, "hr/register_form.html", {
        "register": "employees", "form": form, "title": title, "back_url": reverse("hr:employees"),
        "deleted_notice": not active and _(
            "Den ansatte er inaktiv. Kryss av for «aktiv» og lagre for å gjøre den aktiv igjen."
        ),
        "delete_url": reverse("hr:employee_deactivate", args=[employee.id]) if active else None,
        "delete_label": _("Sett ansatt inaktiv"),
    })


@tenant_required(roles=APPROVERS)
def employee_deactivate(request, employee_id: int):
    employee = get_object_or_404(Employee, pk=employee_id, tenant=request.tenant)
    if request.method == "POST":
        services.employee_deactivate(tenant=request.tenant, employee=employee)
        messages.success(request, _("Den ansatte «%(name)s» er satt inaktiv.") % {"name": employee})
        return redirect("hr:employees")
    return render(request, "hr/register_delete.html", {
        "register": "employees", "title": _("Sette «%(name)s» inaktiv?") % {"name": employee},
        "already_deleted": not employee.active,
        "usage": selectors.employee_usage(tenant=request.tenant, employee=employee), "kind": "employee",
        "two_way": selectors.two_way_sync_on(tenant=request.tenant),
        "button": _("Sett ansatt inaktiv"), "cancel_url": reverse("hr:employee_edit", args=[employee.id]),
    })
