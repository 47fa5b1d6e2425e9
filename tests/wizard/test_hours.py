"""Approved hours and the wizard: what waits is shown at step 5, and only what the admin chose is sent.

Against the fake Tripletex over HTTP; the push runs in this process when Ferdigstill commits.
"""
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from hr.models import Employee, Project, TimeEntry
from hr.services import time_entries_approve
from integrations.hours.outbox import REASON_BEFORE_START, hour_transfers_retry, hours_export_period
from integrations.hours.push import hours_push_pending
from integrations.models import HourTransfer, Link, SyncRecord
from integrations.services import connection_remove
from tests.factories import ActivityFactory, TimeEntryFactory
from wizard import selectors, services
from wizard.models import Draft, Item

pytestmark = pytest.mark.django_db

State = HourTransfer.State
TODAY = timezone.localdate()
THIS_MONTH = TODAY.replace(day=1)
LAST_YEAR = THIS_MONTH.replace(year=THIS_MONTH.year - 1)


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
    finish(world, django_capture_on_commit_callbacks, send_hours=services.SEND_ALL)
    return {
        "employee": Employee.objects.filter(tenant=world.a).order_by("id").first(),
        "project": Project.objects.filter(tenant=world.a).order_by("id").first(),
        "activity": ActivityFactory(tenant=world.a, name="Arbeid"),
    }


# Hours approved while nothing was connected


@pytest.fixture
def removed_with_old_hours(world, connected):
    """The integration removed, and a year of hours approved meanwhile: one entry a month."""
    connection_remove(tenant=world.a, by=world.alice)
    days = sorted({*(months_back(n) + dt.timedelta(days=9) for n in range(1, 12)), THIS_MONTH, TODAY})
    return [approve(world, day=d, **connected) for d in days]


def months_back(n: int) -> dt.date:
    year, month = divmod(THIS_MONTH.year * 12 + THIS_MONTH.month - 1 - n, 12)
    return dt.date(year, month + 1, 1)


def test_step5_shows_how_many_approved_hours_wait_and_from_which_dates(world, removed_with_old_hours, company,
                                                                         django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        check(world, django_capture_on_commit_callbacks, token=company["employee_tokens"]["GrønnJobb"])
        waiting = selectors.hours_waiting(tenant=world.a, refresh=False)
        entries = removed_with_old_hours
        assert waiting["entries"] == len(entries) and waiting["hours"] == sum(e.hours for e in entries)
        assert (waiting["first"], waiting["last"]) == (min(e.date for e in entries), max(e.date for e in entries))

        page = world.client_for(world.alice, world.a).get(reverse("wizard:step", args=["ferdigstill"])).content.decode()
        assert f"{len(entries)} godkjente føringer" in page
        assert f"De er datert {waiting['first']:%d.%m.%Y}–{waiting['last']:%d.%m.%Y}." in page
        assert f'value="{THIS_MONTH.isoformat()}"' in page  # the default: from the first day of this month


def test_ferdigstill_sends_waiting_hours_only_from_the_chosen_date_and_keeps_older_ones_as_not_sent(
        world, tx, company, removed_with_old_hours, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        check(world, django_capture_on_commit_callbacks, token=company["employee_tokens"]["GrønnJobb"])
        run = finish(world, django_capture_on_commit_callbacks, send_hours=services.SEND_FROM, send_hours_from=THIS_MONTH)
        push(world)

        recent = {e.date.isoformat() for e in removed_with_old_hours if e.date >= THIS_MONTH}
        assert remote_dates(tx, company) == sorted(recent)
        older = HourTransfer.objects.filter(tenant=world.a, slot__date__lt=THIS_MONTH)
        assert older.exists() and set(older.values_list("state", "reason")) == {(State.HELD, REASON_BEFORE_START)}
        assert run.summary["hours"]["held"] == older.count() and "Eksporter timer til Tripletex" in run.message

        # They stay put through a later refresh and a «Prøv igjen», and go with an export of their period.
        check(world, django_capture_on_commit_callbacks, keep_stored=True)
        finish(world, django_capture_on_commit_callbacks, send_hours=services.SEND_ALL)
        hour_transfers_retry(tenant=world.a)
        push(world)
        assert remote_dates(tx, company) == sorted(recent)
        with django_capture_on_commit_callbacks(execute=True):
            hours_export_period(tenant=world.a, date_from=LAST_YEAR, date_to=THIS_MONTH - dt.timedelta(days=1),
                                by=world.alice)
        push(world)
        assert remote_dates(tx, company) == sorted(e.date.isoformat() for e in removed_with_old_hours)


@pytest.mark.parametrize("send,expected", [(services.SEND_ALL, "all"), (services.SEND_NONE, "none")])
def test_ferdigstill_can_send_all_waiting_hours_or_none(send, expected, world, tx, company, removed_with_old_hours,
                                                         django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        check(world, django_capture_on_commit_callbacks, token=company["employee_tokens"]["GrønnJobb"])
        finish(world, django_capture_on_commit_callbacks, send_hours=send)
        push(world)
        sent = remote_dates(tx, company)
        assert sent == (sorted(e.date.isoformat() for e in removed_with_old_hours) if expected == "all" else [])


def test_hours_approved_after_ferdigstill_are_sent_whatever_their_date(world, tx, company, connected,
                                                                        django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        check(world, django_capture_on_commit_callbacks, keep_stored=True)
        finish(world, django_capture_on_commit_callbacks, send_hours=services.SEND_NONE)
        with django_capture_on_commit_callbacks(execute=True):
            approve(world, day=LAST_YEAR, **connected)
        push(world)
        assert remote_dates(tx, company) == [LAST_YEAR.isoformat()]


def test_a_date_is_needed_to_send_from_a_date(world, removed_with_old_hours, company,
                                              django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        check(world, django_capture_on_commit_callbacks, token=company["employee_tokens"]["GrønnJobb"])
        draft = Draft.objects.get(tenant=world.a)
        client = world.client_for(world.alice, world.a)
        response = client.post(reverse("wizard:step", args=["ferdigstill"]),
                               {"draft": draft.id, "send_hours": "from", "send_hours_from": ""})
        assert response.status_code == 400 and "Velg datoen timene skal sendes fra." in response.content.decode()
        assert Draft.objects.filter(id=draft.id).exists()
        response = client.post(reverse("wizard:step", args=["ferdigstill"]),
                               {"draft": draft.id, "send_hours": "from", "send_hours_from": "31.02.2026"})
        assert response.status_code == 400 and Draft.objects.filter(id=draft.id).exists()


# Un-ticking on a refresh


def untick_employee(draft, employee) -> Item:
    item = Item.objects.get(draft=draft, kind="employee", local_id=employee.id)
    services.items_select(draft=draft, kind="employee", selected=False, ids=[item.id])
    return item


def test_unticking_a_linked_employee_on_a_refresh_unlinks_it_and_holds_its_hours(
        world, tx, company, connected, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        draft = check(world, django_capture_on_commit_callbacks, keep_stored=True)
        untick_employee(draft, connected["employee"])
        finish(world, django_capture_on_commit_callbacks, send_hours=services.SEND_ALL)
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
        finish(world, django_capture_on_commit_callbacks, send_hours=services.SEND_ALL)
        push(world)
        assert remote_dates(tx, company) == [TODAY.isoformat()]


def test_the_summary_shows_an_unticked_linked_object_as_unlinked_before_ferdigstill(
        world, connected, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        draft = check(world, django_capture_on_commit_callbacks, keep_stored=True)
        untick_employee(draft, connected["employee"])
        assert selectors.finish_summary(draft=draft)["employee"]["unlink"] == 1
        page = world.client_for(world.alice, world.a).get(reverse("wizard:step", args=["ferdigstill"])).content.decode()
        assert '<td class="num" data-testid="unlink-employee">1</td>' in page
        assert "Koblingen fjernes, og godkjente timer på dem holdes tilbake" in page


def test_the_log_says_an_unticked_linked_object_was_unlinked(world, connected, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        draft = check(world, django_capture_on_commit_callbacks, keep_stored=True)
        item = untick_employee(draft, connected["employee"])
        run = finish(world, django_capture_on_commit_callbacks, send_hours=services.SEND_ALL)
        record = SyncRecord.objects.get(run=run, object_kind="employee", tripletex_id=item.tripletex_id)
        assert record.action == SyncRecord.Action.SKIPPED and record.rule == str(services.UNLINKED_RULE)
        assert run.summary["employee"]["unlinked"] == 1
