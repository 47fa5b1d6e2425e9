"""Approved hours and the wizard: un-ticking a linked object holds its hours until it is chosen again.

Against the fake Tripletex over HTTP; the push runs in this process when Ferdigstill commits.
"""
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from hr.models import Employee, Project, TimeEntry
from hr.services import time_entries_approve
from integrations.hours.push import hours_push_pending
from integrations.models import HourTransfer, Link, SyncRecord
from tests.factories import ActivityFactory, TimeEntryFactory
from wizard import selectors, services
from wizard.models import Draft, Item

pytestmark = pytest.mark.django_db

State = HourTransfer.State
TODAY = timezone.localdate()


def check(world, capture, **kwargs):
    with capture(execute=True):
        return services.draft_check_token(tenant=world.a, by=world.alice, **kwargs)


def finish(world, capture, **kwargs):
    draft = Draft.objects.get(tenant=world.a)
    with capture(execute=True):
        return services.draft_finish(tenant=world.a, by=world.alice, draft_id=draft.id, **kwargs)


def push(world):
    while hours_push_pending(tenant=world.a).batches:
        pass


def approve(world, *, employee, project, activity, day: dt.date, hours="7.50") -> TimeEntry:
    entry = TimeEntryFactory(tenant=world.a, employee=employee, project=project, activity=activity, date=day,
                             hours=Decimal(hours), status=TimeEntry.Status.SUBMITTED)
    time_entries_approve(tenant=world.a, entries=TimeEntry.objects.filter(id=entry.id), by=world.alice)
    return entry


def remote_dates(tx, company) -> list[str]:
    return sorted(e["date"] for e in tx.objects(company["id"], "timesheet_entry"))


@pytest.fixture
def connected(world, tx, company, django_capture_on_commit_callbacks):
    """Company A connected to its own Tripletex company with everything chosen; one employee, project, activity."""
    draft = check(world, django_capture_on_commit_callbacks, token=company["employee_tokens"]["GrønnJobb"])
    for kind in ("project", "wage_type", "employee"):
        services.items_select(draft=draft, kind=kind, selected=True)
    finish(world, django_capture_on_commit_callbacks)
    return {
        "employee": Employee.objects.filter(tenant=world.a).order_by("id").first(),
        "project": Project.objects.filter(tenant=world.a).order_by("id").first(),
        "activity": ActivityFactory(tenant=world.a, name="Arbeid"),
    }


# Un-ticking on a refresh


def untick_employee(draft, employee) -> Item:
    item = Item.objects.get(draft=draft, kind="employee", local_id=employee.id)
    services.items_select(draft=draft, kind="employee", selected=False, ids=[item.id])
    return item


def test_unticking_a_linked_employee_on_a_refresh_unlinks_it_and_holds_its_hours(
        world, tx, company, connected, django_capture_on_commit_callbacks):
    draft = check(world, django_capture_on_commit_callbacks, keep_stored=True)
    untick_employee(draft, connected["employee"])
    finish(world, django_capture_on_commit_callbacks)
    assert not Link.objects.filter(tenant=world.a, kind="employee", local_id=connected["employee"].id).exists()

    with django_capture_on_commit_callbacks(execute=True):
        entry = approve(world, day=TODAY, **connected)
    push(world)
    assert remote_dates(tx, company) == []
    row = HourTransfer.objects.get(tenant=world.a, local_entry_id=entry.id)
    assert (row.state, row.reason) == (State.HELD, "ansatt ikke koblet til Tripletex")

    # Chosen again: linked again, and the held hours go.
    draft = check(world, django_capture_on_commit_callbacks, keep_stored=True)
    services.items_select(draft=draft, kind="employee", selected=True)
    finish(world, django_capture_on_commit_callbacks)
    push(world)
    assert remote_dates(tx, company) == [TODAY.isoformat()]


def test_the_summary_shows_an_unticked_linked_object_as_unlinked_before_ferdigstill(
        world, connected, django_capture_on_commit_callbacks):
    draft = check(world, django_capture_on_commit_callbacks, keep_stored=True)
    untick_employee(draft, connected["employee"])
    assert selectors.finish_summary(draft=draft)["employee"]["unlink"] == 1
    page = world.client_for(world.alice, world.a).get(reverse("wizard:step", args=["ferdigstill"])).content.decode()
    assert '<td class="num" data-testid="unlink-employee">1</td>' in page
    assert "Koblingen fjernes, og godkjente timer på dem holdes tilbake" in page


def test_the_log_says_an_unticked_linked_object_was_unlinked(world, connected, django_capture_on_commit_callbacks):
    draft = check(world, django_capture_on_commit_callbacks, keep_stored=True)
    item = untick_employee(draft, connected["employee"])
    run = finish(world, django_capture_on_commit_callbacks)
    record = SyncRecord.objects.get(run=run, object_kind="employee", tripletex_id=item.tripletex_id)
    assert record.action == SyncRecord.Action.SKIPPED and record.rule == str(services.UNLINKED_RULE)
    assert run.summary["employee"]["unlinked"] == 1
