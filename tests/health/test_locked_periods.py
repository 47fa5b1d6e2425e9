"""Locked periods as correction tasks: an hour refused because its period is approved in Tripletex waits on
Timeoverføring saying what was refused and who can open the period; once it is open (noticed by the schedule
or by «Prøv igjen») the hour goes, and an admin can instead mark it as put into Tripletex by hand, logged."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from integrations.hours.corrections import hour_corrections_mark_handled, hour_corrections_recheck, hours_locked_due
from integrations.models import Connection, HourTransfer, SyncRecord, SyncRun

from .conftest import approve, push_all

pytestmark = pytest.mark.django_db
State = HourTransfer.State
HOURS = reverse("integrations:hours")


@pytest.fixture
def locked(tx):
    """4 November locked for every employee, approved in Tripletex by the company's third employee."""
    approver = tx.fake.objects(tx.company_id, "employee")[2]
    tx.fake.lock_period(tx.company_id, "2026-11-01", "2026-11-04", approved_by=approver["id"])
    yield f"{approver['firstName']} {approver.get('lastName', '')}".strip()
    tx.fake.unlock_all(tx.company_id)


def recheck(tx) -> int:
    with scope(tenant=tx.tenant):
        return hour_corrections_recheck(tenant=tx.tenant)


def make_due(tx) -> None:
    HourTransfer.objects.filter(tenant=tx.tenant).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))


def test_an_hour_refused_as_locked_becomes_a_correction_task_that_says_who_approved_the_period(
        world, tx, locked, settings):
    with scope(tenant=tx.tenant):
        entry = tx.entry(day=2)
        approve(tx, [entry])
        push_all(tx.tenant)
        row = HourTransfer.objects.get(local_entry_id=entry.id)
        assert row.state == State.LOCKED and row.locked_by.startswith(locked) and row.message
        wait = (row.next_attempt_at - timezone.now()).total_seconds()
        assert settings.HOURS_LOCKED_RECHECK - 60 < wait <= settings.HOURS_LOCKED_RECHECK
        html = world.client_for(world.alice, world.a).get(HOURS).content.decode()
        corrections = html.split('data-testid="corrections"', 1)[1].split("</section>", 1)[0]
        assert f'data-correction="{row.id}"' in corrections and locked in corrections
        # Listed once, as a correction task, not again among the other hours that need following up.
        assert html.count(f'name="rows" value="{row.id}"') == 1


def test_a_locked_month_opened_later_is_noticed_by_the_schedule_and_the_hour_goes_once(tx, locked):
    with scope(tenant=tx.tenant):
        entry = tx.entry(day=2)
        approve(tx, [entry])
        push_all(tx.tenant)
        with scopes_disabled():
            assert hours_locked_due() == []  # not yet due
        make_due(tx)
        with scopes_disabled():
            assert hours_locked_due() == [tx.tenant.id]
        tx.fake.clear_calls()
        assert recheck(tx) == 0  # still locked: one look, and the next one later
        assert tx.fake.calls(tx.company_id) == {"GET /timesheet/month/byMonthNumber": 1}
        row = HourTransfer.objects.get(local_entry_id=entry.id)
        assert row.state == State.LOCKED and row.next_attempt_at > timezone.now()
        tx.fake.unlock_all(tx.company_id)  # someone opens the month in Tripletex
        make_due(tx)
        assert recheck(tx) == 1
        push_all(tx.tenant)
        row.refresh_from_db()
        assert (row.state, row.locked_by) == (State.SENT, "")
        assert tx.remote_by_key() == tx.expected_by_key() and len(tx.remote_entries()) == 1


def test_one_look_covers_every_employee_of_a_month(tx, locked):
    with scope(tenant=tx.tenant):
        approve(tx, [tx.entry(emp=e, day=d) for e in range(3) for d in range(3)])
        push_all(tx.tenant)
        assert HourTransfer.objects.filter(tenant=tx.tenant, state=State.LOCKED).count() == 9
        make_due(tx)
        tx.fake.clear_calls()
        recheck(tx)
        assert tx.fake.calls(tx.company_id) == {"GET /timesheet/month/byMonthNumber": 1}


def test_a_month_tripletex_does_not_answer_for_stays_locked(tx, locked):
    with scope(tenant=tx.tenant):
        approve(tx, [tx.entry(day=2)])
        push_all(tx.tenant)
        tx.fake.unlock_all(tx.company_id)
        make_due(tx)
        tx.fake.set_faults(path_prefix="/timesheet/month", error_rate=1.0, error_status=503)
        assert recheck(tx) == 0
        assert HourTransfer.objects.get(tenant=tx.tenant).state == State.LOCKED


def test_the_schedule_leaves_companies_whose_connection_waits_alone(tx, locked):
    with scope(tenant=tx.tenant):
        approve(tx, [tx.entry(day=2)])
        push_all(tx.tenant)
        make_due(tx)
        Connection.objects.filter(tenant=tx.tenant).update(state=Connection.State.NEEDS_TOKEN)
        with scopes_disabled():
            assert hours_locked_due() == []


def test_prov_igjen_sends_the_locked_hours_at_once_once_the_period_is_open(world, tx, locked,
                                                                            django_capture_on_commit_callbacks):
    with scope(tenant=tx.tenant):
        entry = tx.entry(day=2)
        approve(tx, [entry])
        push_all(tx.tenant)
        tx.fake.unlock_all(tx.company_id)
        with django_capture_on_commit_callbacks(execute=True):  # the push runs eagerly on commit
            world.client_for(world.alice, world.a).post(reverse("integrations:hours_retry"), {"only": "locked"})
        assert HourTransfer.objects.get(local_entry_id=entry.id).state == State.SENT


def test_an_hour_marked_as_handled_by_hand_is_logged_and_never_sent(world, tx, locked):
    with scope(tenant=tx.tenant):
        entry = tx.entry(day=2)
        approve(tx, [entry])
        push_all(tx.tenant)
        row = HourTransfer.objects.get(local_entry_id=entry.id)
        world.client_for(world.alice, world.a).post(reverse("integrations:hours_mark_handled"), {"rows": [row.id]})
        row.refresh_from_db()
        assert row.state == State.HANDLED
        run = SyncRun.objects.get(tenant=tx.tenant, trigger=SyncRun.Trigger.MANUAL)
        assert run.started_by == world.alice and run.summary == {"handled": 1}
        record = SyncRecord.objects.get(run=run)
        assert record.local_id == entry.id and record.rule and record.action == SyncRecord.Action.SKIPPED
        tx.fake.unlock_all(tx.company_id)
        make_due(tx)
        tx.fake.clear_calls()
        recheck(tx)
        push_all(tx.tenant)
        assert tx.fake.calls(tx.company_id) == {} and tx.remote_entries() == []
        html = world.client_for(world.alice, world.a).get(HOURS).content.decode()
        assert "1 ordnet for hånd i Tripletex" in html and f'data-correction="{row.id}"' not in html


def test_only_locked_hours_can_be_marked_as_handled(tx):
    with scope(tenant=tx.tenant):
        entry = tx.entry()
        approve(tx, [entry])
        push_all(tx.tenant)
        row = HourTransfer.objects.get(local_entry_id=entry.id)
        with scope(tenant=tx.tenant):
            assert hour_corrections_mark_handled(tenant=tx.tenant, ids=[row.id], by=None) is None
        assert HourTransfer.objects.get(id=row.id).state == State.SENT


def test_another_companys_admin_cannot_mark_its_locked_hours_as_handled(world, tx, locked):
    with scope(tenant=tx.tenant):
        approve(tx, [tx.entry(day=2)])
        push_all(tx.tenant)
        row = HourTransfer.objects.get(tenant=tx.tenant)
        world.client_for(world.bob, world.b).post(reverse("integrations:hours_mark_handled"), {"rows": [row.id]})
        assert HourTransfer.objects.get(id=row.id).state == State.LOCKED
        assert not SyncRun.objects.filter(tenant=world.b).exists()
