"""Hours through the API: made as drafts (one or a batch), changed while editable, submitted, approved (which
writes the outbox for Tripletex in the same transaction, as the Godkjenning page does) and rejected."""
import datetime as dt
from decimal import Decimal

import pytest
from django_scopes import scope

from hr.models import TimeEntry
from integrations.models import HourTransfer
from tests.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/time-entries/"


def row(hr, **fields) -> dict:
    return {"employee": hr["employee"].id, "date": "2026-11-17", "hours": "7.5", "project": hr["project"].id,
            "activity": hr["activity"].id, **fields}


def test_an_entry_is_made_as_a_draft(world, api_a, hr_a):
    with scope(tenant=world.a):
        response = api_a.post(ENTRIES, row(hr_a, comment="Montering", wage_type=hr_a["wage_type"].id), format="json")
        assert response.status_code == 201
        body = response.json()
        entry = TimeEntry.objects.get(id=body["id"], tenant=world.a)
        assert (entry.status, entry.hours, entry.comment, entry.wage_type) == (
            "draft", Decimal("7.5"), "Montering", hr_a["wage_type"])
        assert body["status"] == "draft" and body["hours"] == "7.50" and body["transfer_state"] is None


def test_a_batch_is_made_whole(world, api_a, hr_a):
    with scope(tenant=world.a):
        rows = [row(hr_a, date=f"2026-11-{d}") for d in (17, 18, 19)]
        response = api_a.post(f"{ENTRIES}batch/", {"entries": rows}, format="json")
        assert response.status_code == 201
        assert [e["date"] for e in response.json()["entries"]] == ["2026-11-17", "2026-11-18", "2026-11-19"]
        assert TimeEntry.objects.filter(tenant=world.a, status="draft").count() == 3


def test_a_batch_with_one_bad_row_makes_nothing_and_names_the_row(world, api_a, hr_a):
    with scope(tenant=world.a):
        world.a.hours_locked_until = dt.date(2026, 11, 18)
        world.a.save()
        rows = [row(hr_a, date="2026-11-19"), row(hr_a, date="2026-11-18"), row(hr_a, date="2026-11-20")]
        response = api_a.post(f"{ENTRIES}batch/", {"entries": rows}, format="json")
        assert response.status_code == 400
        assert response.json() == {"entries": {
            "1": {"non_field_errors": ["Uken er låst: timer til og med 18.11.2026 kan ikke endres."]},
        }}
        assert TimeEntry.objects.filter(tenant=world.a).count() == 1  # hr_a's own


def test_a_batch_row_with_a_bad_shape_names_its_field(world, api_a, hr_a):
    response = api_a.post(f"{ENTRIES}batch/", {"entries": [row(hr_a), row(hr_a, hours="25")]}, format="json")
    assert response.status_code == 400
    assert list(response.json()["entries"]) == ["1"] and list(response.json()["entries"]["1"]) == ["hours"]


def test_hours_on_an_inactive_project_are_refused(world, api_a, hr_a):
    hr_a["project"].status = "completed"
    hr_a["project"].save()
    response = api_a.post(ENTRIES, row(hr_a), format="json")
    assert response.status_code == 400 and response.json() == {"project": ["Prosjektet er ikke aktivt."]}


def test_a_draft_is_changed_and_a_submitted_entry_is_not(world, api_a, hr_a):
    draft = TimeEntryFactory(tenant=world.a, employee=hr_a["employee"], status=TimeEntry.Status.DRAFT)
    response = api_a.patch(f"{ENTRIES}{draft.id}/", {"hours": "3", "comment": "Rettet"}, format="json")
    assert response.status_code == 200 and response.json()["hours"] == "3.00"
    draft.refresh_from_db()
    assert (draft.hours, draft.comment) == (Decimal("3"), "Rettet")

    submitted = hr_a["entry"]
    response = api_a.patch(f"{ENTRIES}{submitted.id}/", {"hours": "3"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Timer som er levert eller godkjent kan ikke endres."]}
    assert api_a.delete(f"{ENTRIES}{submitted.id}/").status_code == 400
    submitted.refresh_from_db()
    assert submitted.hours == Decimal("7.50")


def test_a_draft_is_deleted(world, api_a, hr_a):
    with scope(tenant=world.a):
        draft = TimeEntryFactory(tenant=world.a, status=TimeEntry.Status.DRAFT)
        assert api_a.delete(f"{ENTRIES}{draft.id}/").status_code == 204
        assert not TimeEntry.objects.filter(id=draft.id).exists()


def test_submit_approve_and_reject_in_bulk(world, api_a, hr_a):
    with scope(tenant=world.a):
        drafts = [TimeEntryFactory(tenant=world.a, employee=hr_a["employee"], status=TimeEntry.Status.DRAFT)
                  for _ in range(3)]
        ids = [e.id for e in drafts]
        assert api_a.post(f"{ENTRIES}submit/", {"ids": ids}, format="json").json() == {"count": 3}
        assert api_a.post(f"{ENTRIES}approve/", {"ids": ids[:2]}, format="json").json() == {"count": 2}
        assert api_a.post(f"{ENTRIES}reject/", {"ids": ids[1:]}, format="json").json() == {"count": 2}
        statuses = dict(TimeEntry.objects.filter(id__in=ids).values_list("id", "status"))
        assert [statuses[i] for i in ids] == ["approved", "rejected", "rejected"]


def test_approving_writes_the_outbox_row_for_tripletex_and_names_the_keys_maker(world, api_a, hr_a):
    with scope(tenant=world.a):
        entry = hr_a["entry"]
        api_a.post(f"{ENTRIES}approve/", {"ids": [entry.id]}, format="json")
        entry.refresh_from_db()
        assert entry.status == "approved" and entry.approved_by == world.alice
        transfer = HourTransfer.objects.get(tenant=world.a, local_entry_id=entry.id)
        assert (transfer.action, transfer.state, transfer.hours) == ("upsert", "pending", entry.hours)
        assert api_a.get(f"{ENTRIES}{entry.id}/").json()["transfer_state"] == "pending"


def test_rejecting_an_approved_entry_takes_it_back_from_tripletex(world, api_a, hr_a):
    with scope(tenant=world.a):
        entry = hr_a["entry"]
        api_a.post(f"{ENTRIES}approve/", {"ids": [entry.id]}, format="json")
        api_a.post(f"{ENTRIES}reject/", {"ids": [entry.id]}, format="json")
        transfers = HourTransfer.objects.filter(tenant=world.a, local_entry_id=entry.id)
        assert "delete" in transfers.values_list("action", flat=True)


def test_approving_another_companys_entry_does_nothing(world, api_b, hr_a):
    entry = hr_a["entry"]
    assert api_b.post(f"{ENTRIES}approve/", {"ids": [entry.id]}, format="json").json() == {"count": 0}
    entry.refresh_from_db()
    assert entry.status == "submitted"


def test_bulk_actions_need_ids(world, api_a):
    response = api_a.post(f"{ENTRIES}approve/", {"ids": []}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["ids"]


def test_entries_are_listed_by_status_employee_and_dates(world, api_a, hr_a):
    employee = hr_a["employee"]
    for day, status in ((16, "draft"), (17, "submitted"), (18, "submitted"), (25, "submitted")):
        TimeEntryFactory(tenant=world.a, employee=employee, date=dt.date(2026, 11, day), status=status)
    TimeEntryFactory(tenant=world.a, date=dt.date(2026, 11, 17), status="submitted")  # someone else's
    response = api_a.get(ENTRIES, {"status": "submitted", "employee": employee.id, "date_from": "2026-11-17",
                                   "date_to": "2026-11-24", "ordering": "date"})
    assert [e["date"] for e in response.json()["results"]] == ["2026-11-17", "2026-11-18"]
