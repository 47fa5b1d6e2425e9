import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scope

from hr import services
from hr.models import TimeEntry

from .factories import ActivityFactory, EmployeeFactory, ProjectFactory, TimeEntryFactory

MONDAY = dt.date(2026, 11, 16)
WEEK = "2026-W47"


def grid_post(hr, **days) -> dict:
    data = {
        "uke": WEEK, "rows-TOTAL_FORMS": "1", "rows-INITIAL_FORMS": "0", "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "1000", "rows-0-project": hr["project"].id, "rows-0-activity": hr["activity"].id,
        "rows-0-wage_type": "", "rows-0-comment": "",
    }
    data.update({f"rows-0-{k}": v for k, v in days.items()})
    return data


@pytest.fixture
def carol_client(world, hr_a):
    hr_a["entry"].delete()
    return world.client_for(world.carol, world.a)


def test_employee_saves_a_week_in_the_grid(carol_client, hr_a):
    with scope(tenant=hr_a["employee"].tenant):
        response = carol_client.post(reverse("hr:timesheet"), grid_post(hr_a, d0="7.5", d1="8"))
        assert response.status_code == 302
        entries = TimeEntry.objects.filter(employee=hr_a["employee"]).order_by("date")
        assert [(e.date, e.hours, e.status) for e in entries] == [
            (MONDAY, Decimal("7.50"), "draft"), (MONDAY + dt.timedelta(days=1), Decimal("8.00"), "draft"),
        ]


def test_saving_the_grid_again_changes_and_removes_cells(carol_client, hr_a):
    with scope(tenant=hr_a["employee"].tenant):
        carol_client.post(reverse("hr:timesheet"), grid_post(hr_a, d0="7.5", d1="8"))
        carol_client.post(reverse("hr:timesheet"), grid_post(hr_a, d0="6"))
        entries = TimeEntry.objects.filter(employee=hr_a["employee"])
        assert [(e.date, e.hours) for e in entries] == [(MONDAY, Decimal("6.00"))]


def test_submit_sends_the_week_to_approval(carol_client, hr_a):
    with scope(tenant=hr_a["employee"].tenant):
        carol_client.post(reverse("hr:timesheet"), {**grid_post(hr_a, d0="7.5"), "submit": "1"})
        assert TimeEntry.objects.get(employee=hr_a["employee"]).status == "submitted"


def test_hours_over_24_in_a_cell_is_a_field_error_and_nothing_changes(carol_client, hr_a):
    with scope(tenant=hr_a["employee"].tenant):
        carol_client.post(reverse("hr:timesheet"), grid_post(hr_a, d0="7.5"))
        response = carol_client.post(reverse("hr:timesheet"), grid_post(hr_a, d0="25"))
        assert response.status_code == 200
        assert "Maks 24 timer" in response.content.decode()
        assert TimeEntry.objects.get(employee=hr_a["employee"]).hours == Decimal("7.50")


def test_more_than_24_hours_in_one_day_across_rows_is_refused(world, hr_a):
    with scope(tenant=world.a):
        other = ProjectFactory(tenant=world.a)
        employee = hr_a["employee"]
        with pytest.raises(ValidationError, match="Mer enn 24 timer"):
            services.timesheet_week_save(tenant=world.a, employee=employee, start=MONDAY, rows=[
                {"project": hr_a["project"], "activity": hr_a["activity"], "wage_type": None, "comment": "", "hours": {0: Decimal("12")}},
                {"project": other, "activity": hr_a["activity"], "wage_type": None, "comment": "", "hours": {0: Decimal("12.5")}},
            ])
        assert TimeEntry.objects.filter(employee=employee, status="draft").count() == 0


def test_hours_in_a_locked_week_are_refused(carol_client, world, hr_a):
    with scope(tenant=world.a):
        world.a.hours_locked_until = MONDAY + dt.timedelta(days=6)
        world.a.save()
        response = carol_client.post(reverse("hr:timesheet"), grid_post(hr_a, d0="7.5"))
        assert response.status_code == 200
        assert "låst" in response.content.decode()
        assert not TimeEntry.objects.filter(employee=hr_a["employee"]).exists()


def test_another_companys_project_is_an_unknown_choice(carol_client, world, hr_a):
    with scope(tenant=world.a):
        foreign = ProjectFactory(tenant=world.b)
        data = grid_post(hr_a, d0="7.5")
        data["rows-0-project"] = foreign.id
        response = carol_client.post(reverse("hr:timesheet"), data)
        assert response.status_code == 200
        assert "Velg et gyldig valg" in response.content.decode() or "valid choice" in response.content.decode()
        assert not TimeEntry.objects.filter(employee=hr_a["employee"]).exists()


def test_service_refuses_project_of_another_company(world, hr_a):
    with pytest.raises(ValidationError):
        services.time_entry_save(
            tenant=world.a, employee=hr_a["employee"], date=MONDAY, project=ProjectFactory(tenant=world.b),
            activity=hr_a["activity"], hours=Decimal("1"),
        )


def test_submitted_hours_cannot_be_changed_by_the_employee(world, hr_a):
    entry = hr_a["entry"]
    with pytest.raises(ValidationError):
        services.time_entry_save(
            tenant=world.a, employee=entry.employee, date=entry.date, project=entry.project, activity=entry.activity,
            hours=Decimal("1"), entry=entry,
        )
    entry.refresh_from_db()
    assert entry.hours == Decimal("7.50")


def test_manager_approves_in_bulk_only_submitted_entries(world, hr_a):
    draft = TimeEntryFactory(tenant=world.a, employee=hr_a["employee"], status="draft", date=MONDAY + dt.timedelta(days=1))
    client = world.client_for(world.alice, world.a)
    response = client.post(reverse("hr:approvals_bulk"), {"entries": [hr_a["entry"].id, draft.id], "action": "approve"})
    assert response.status_code == 302
    hr_a["entry"].refresh_from_db()
    draft.refresh_from_db()
    assert hr_a["entry"].status == "approved" and hr_a["entry"].approved_by == world.alice
    assert hr_a["entry"].approved_at is not None
    assert draft.status == "draft"


def test_manager_rejects_in_bulk(world, hr_a):
    client = world.client_for(world.alice, world.a)
    client.post(reverse("hr:approvals_bulk"), {"entries": [hr_a["entry"].id], "action": "reject"})
    hr_a["entry"].refresh_from_db()
    assert hr_a["entry"].status == "rejected"


def test_approvals_filter_by_week_employee_and_project(world, hr_a):
    other = TimeEntryFactory(tenant=world.a, date=MONDAY + dt.timedelta(days=7))
    mine = hr_a["entry"]
    client = world.client_for(world.alice, world.a)

    def shown(params):
        page = client.get(reverse("hr:approvals"), params).content.decode()
        return {e.id for e in (mine, other) if f'name="entries" value="{e.id}"' in page}

    assert shown({"status": "submitted"}) == {mine.id, other.id}
    assert shown({"week": WEEK, "status": "submitted"}) == {mine.id}
    assert shown({"employee": other.employee_id, "status": ""}) == {other.id}
    assert shown({"project": mine.project_id}) == {mine.id}


def test_hours_must_be_above_zero_and_at_most_24(world, hr_a):
    for bad in (Decimal("0"), Decimal("24.01")):
        with pytest.raises(ValidationError):
            services.time_entry_save(
                tenant=world.a, employee=hr_a["employee"], date=MONDAY, project=hr_a["project"],
                activity=ActivityFactory(tenant=world.a), hours=bad,
            )


def test_a_rejected_day_in_a_submitted_week_stays_in_the_grid_and_survives_saving(carol_client, world, hr_a):
    with scope(tenant=world.a):
        carol_client.post(reverse("hr:timesheet"), {**grid_post(hr_a, d0="7.5", d1="7.5"), "submit": "1"})
        tuesday = TimeEntry.objects.get(employee=hr_a["employee"], date=MONDAY + dt.timedelta(days=1))
        services.time_entries_reject(tenant=world.a, entries=TimeEntry.objects.filter(id=tuesday.id), by=world.alice)

        page = carol_client.get(reverse("hr:timesheet"), {"uke": WEEK}).content.decode()
        assert 'name="rows-0-d1" value="7.50"' in page and 'name="rows-0-d0" value="7.50"' not in page
        carol_client.post(reverse("hr:timesheet"), grid_post(hr_a, d1="6"))
        statuses = dict(TimeEntry.objects.filter(employee=hr_a["employee"]).values_list("date", "status"))
        assert statuses == {MONDAY: "submitted", MONDAY + dt.timedelta(days=1): "draft"}
        assert TimeEntry.objects.get(id=tuesday.id).hours == Decimal("6.00")
