"""The hours push against the fake Tripletex over real HTTP, in this process (the rules, not the workers)."""
from decimal import Decimal

import pytest
from django.db import connection
from django_scopes import scope

from hr.models import TimeEntry
from integrations.hours import outbox, push
from integrations.models import Connection, HourTransfer, Link, SyncRecord, SyncRun

from .conftest import approve, make_tx, push_all, reject

State = HourTransfer.State
pytestmark = pytest.mark.django_db


def states(tenant):
    return sorted(HourTransfer.objects.filter(tenant=tenant).values_list("state", flat=True))


def test_approving_writes_one_outbox_row_per_entry_in_the_same_transaction(tx):
    with scope(tenant=tx.tenant):
        entries = [tx.entry(day=d) for d in range(3)]
        assert approve(tx, entries) == 3
        rows = HourTransfer.objects.filter(tenant=tx.tenant)
        assert sorted(rows.values_list("local_entry_id", flat=True)) == sorted(e.id for e in entries)
        assert set(rows.values_list("state", flat=True)) == {State.PENDING}
        assert tx.remote_entries() == []  # nothing is sent inside the approval


def test_approved_hours_reach_tripletex_in_one_batch_call(tx):
    with scope(tenant=tx.tenant):
        entries = [tx.entry(emp=e, day=d) for e in range(3) for d in range(5)]
        approve(tx, entries)
        tx.fake.clear_calls()
        push_all(tx.tenant)
        assert tx.remote_by_key() == tx.expected_by_key()
        assert len(tx.remote_by_key()) == 15
        calls = tx.fake.calls(tx.company_id)
        assert calls.get("POST /timesheet/entry/list") == 1
        assert "POST /timesheet/entry" not in calls
        assert states(tx.tenant) == [State.SENT] * 15
        # Tripletex's ids and versions are kept on our side.
        remote_ids = {e["id"] for e in tx.remote_entries()}
        for row in HourTransfer.objects.filter(tenant=tx.tenant).select_related("slot"):
            assert row.slot.tripletex_id in remote_ids and row.slot.tripletex_version is not None


def test_batch_size_setting_splits_the_push(tx, settings):
    with scope(tenant=tx.tenant):
        settings.HOURS_BATCH_SIZE = 4
        approve(tx, [tx.entry(emp=e, day=d) for e in range(2) for d in range(5)])
        tx.fake.clear_calls()
        push_all(tx.tenant)
        assert tx.fake.calls(tx.company_id).get("POST /timesheet/entry/list") == 3  # 4 + 4 + 2
        assert tx.remote_by_key() == tx.expected_by_key()


def test_entries_sharing_a_tripletex_key_are_summed_into_one_entry(tx):
    a = tx.entry(hours="2.00", comment="formiddag")
    b = tx.entry(hours="3.50", comment="ettermiddag")
    approve(tx, [a, b])
    push_all(tx.tenant)
    remote = tx.remote_entries()
    assert len(remote) == 1 and Decimal(str(remote[0]["hours"])) == Decimal("5.50")
    assert remote[0]["comment"] == "formiddag; ettermiddag"


def test_a_changed_entry_in_a_shared_key_updates_the_sum_once_with_its_version(tx):
    with scope(tenant=tx.tenant):
        a, b = tx.entry(hours="2.00"), tx.entry(hours="3.00")
        approve(tx, [a, b])
        push_all(tx.tenant)
        version = tx.remote_entries()[0]["version"]
        # A manager rejects b; the employee corrects it and it is approved again.
        reject(tx, [b])
        TimeEntry.objects.filter(id=b.id).update(hours=Decimal("4.00"), status=TimeEntry.Status.SUBMITTED)
        approve(tx, [b])
        tx.fake.clear_calls()
        push_all(tx.tenant)
        remote = tx.remote_entries()
        assert len(remote) == 1 and Decimal(str(remote[0]["hours"])) == Decimal("6.00")
        assert remote[0]["version"] > version
        calls = tx.fake.calls(tx.company_id)
        assert calls.get("PUT /timesheet/entry/list") == 1 and "POST /timesheet/entry/list" not in calls


def test_rejecting_an_approved_entry_deletes_it_in_tripletex(tx):
    with scope(tenant=tx.tenant):
        a = tx.entry()
        approve(tx, [a])
        push_all(tx.tenant)
        assert len(tx.remote_entries()) == 1
        reject(tx, [a])
        push_all(tx.tenant)
        assert tx.remote_entries() == []
        assert states(tx.tenant) == [State.REMOVED]


def test_rejecting_one_of_a_shared_key_leaves_the_rest_in_tripletex(tx):
    a, b = tx.entry(hours="2.00"), tx.entry(hours="3.00")
    approve(tx, [a, b])
    push_all(tx.tenant)
    reject(tx, [a])
    push_all(tx.tenant)
    assert [Decimal(str(e["hours"])) for e in tx.remote_entries()] == [Decimal("3.00")]


def test_hours_on_a_wage_type_also_go_as_one_count_per_employee_date_and_wage_type(tx):
    with scope(tenant=tx.tenant):
        a = tx.entry(proj=0, hours="2.00", wage=0)
        b = tx.entry(proj=1, hours="1.50", wage=0)
        c = tx.entry(proj=1, act=1, hours="1.00", wage=1)
        approve(tx, [a, b, c])
        push_all(tx.tenant)
        specs = sorted((s["salaryType"]["id"], Decimal(str(s["count"]))) for s in tx.remote_specs())
        assert specs == sorted([(tx.wage_types[0][1], Decimal("3.50")), (tx.wage_types[1][1], Decimal("1.00"))])
        assert states(tx.tenant) == [State.SENT] * 3
        reject(tx, [b])
        push_all(tx.tenant)
        specs = sorted((s["salaryType"]["id"], Decimal(str(s["count"]))) for s in tx.remote_specs())
        assert specs == sorted([(tx.wage_types[0][1], Decimal("2.00")), (tx.wage_types[1][1], Decimal("1.00"))])


@pytest.mark.parametrize("kind, reason", [
    (Link.Kind.EMPLOYEE, "ansatt ikke koblet til Tripletex"),
    (Link.Kind.PROJECT, "prosjekt ikke koblet til Tripletex"),
])
def test_an_entry_without_a_link_is_held_with_a_reason_and_goes_after_a_refresh(tx, kind, reason):
    with scope(tenant=tx.tenant):
        held = tx.entry(emp=1, proj=1)
        fine = tx.entry(emp=0, proj=0)
        local_id = held.employee_id if kind == Link.Kind.EMPLOYEE else held.project_id
        link = Link.objects.get(tenant=tx.tenant, kind=kind, local_id=local_id)
        link_values = {f: getattr(link, f) for f in ("kind", "local_id", "tripletex_company_id", "tripletex_id")}
        link.delete()
        approve(tx, [held, fine])
        push_all(tx.tenant)
        row = HourTransfer.objects.get(local_entry_id=held.id)
        assert row.state == State.HELD and row.reason == reason
        assert HourTransfer.objects.get(local_entry_id=fine.id).state == State.SENT
        assert len(tx.remote_entries()) == 1

        # The wizard refresh links it and calls the hook.
        Link.objects.create(tenant=tx.tenant, **link_values)
        from integrations.hours import on_connection_activated
        on_connection_activated(tenant_id=tx.tenant.id)
        push_all(tx.tenant)
        assert HourTransfer.objects.get(local_entry_id=held.id).state == State.SENT
        assert tx.remote_by_key() == tx.expected_by_key()


def test_an_unlinked_activity_is_matched_by_number_or_created_from_its_hourly_rate(world, fake_tripletex,
                                                                                 tripletex_settings):
    with scope(tenant=world.a):
        tx = make_tx(fake_tripletex, world.a, link_activities=False)
        ours, remote_id = tx.activities[0]
        remote_number = next(a["number"] for a in fake_tripletex.objects(tx.company_id, "activity") if a["id"] == remote_id)
        ours.number = remote_number
        ours.save()
        new = tx.activities[1][0]
        new.number, new.name, new.hourly_rate = "", "Befaring", Decimal("1150")
        new.save()
        approve(tx, [tx.entry(act=0), tx.entry(act=1, day=1)])
        push_all(tx.tenant)
        assert Link.objects.get(kind=Link.Kind.ACTIVITY, local_id=ours.id).tripletex_id == remote_id
        created = [a for a in fake_tripletex.objects(tx.company_id, "activity") if a["name"] == "Befaring"]
        assert len(created) == 1 and Decimal(str(created[0]["rate"])) == Decimal("1150")
        assert Link.objects.get(kind=Link.Kind.ACTIVITY, local_id=new.id).tripletex_id == created[0]["id"]
        assert states(tx.tenant) == [State.SENT, State.SENT]


def test_nothing_goes_while_the_connection_is_not_active_and_pending_rows_go_after_reconnection(tx):
    with scope(tenant=tx.tenant):
        approve(tx, [tx.entry()])
        Connection.objects.filter(tenant=tx.tenant).update(state=Connection.State.REMOVED)
        push_all(tx.tenant)
        assert tx.remote_entries() == [] and states(tx.tenant) == [State.PENDING]
        Connection.objects.filter(tenant=tx.tenant).update(state=Connection.State.ACTIVE)
        push_all(tx.tenant)
        assert len(tx.remote_entries()) == 1 and states(tx.tenant) == [State.SENT]


def test_a_worker_that_loses_the_race_for_a_window_claims_the_next_one(tx):
    approve(tx, [tx.entry(emp=e, day=d) for e in range(2) for d in range(2)])
    first = []

    def other_worker_first(execute, sql, params, many, context):
        # Another worker's claim commits between this worker's read of the window and its update.
        if not first and sql.startswith("UPDATE") and "w2" in (params or ()):
            first.extend(push._claim(tenant=tx.tenant, worker="w1", limit=2))
        return execute(sql, params, many, context)

    with scope(tenant=tx.tenant), connection.execute_wrapper(other_worker_first):
        second = push._claim(tenant=tx.tenant, worker="w2", limit=2)
    assert len(first) == 2 and len(second) == 2  # not nothing, which ended its task as if nothing were due
    assert not {r.slot_id for r in first} & {r.slot_id for r in second}


def test_a_claim_is_refused_when_the_connection_was_removed_after_the_task_started(tx):
    with scope(tenant=tx.tenant):
        approve(tx, [tx.entry()])
        Connection.objects.filter(tenant=tx.tenant).update(state=Connection.State.REMOVED)
        with scope(tenant=tx.tenant):
            assert push._claim(tenant=tx.tenant, worker="w", limit=10) == []
        assert states(tx.tenant) == [State.PENDING]


def test_a_batch_in_doubt_after_commit_then_drop_is_reconciled_not_sent_twice(tx):
    with scope(tenant=tx.tenant):
        approve(tx, [tx.entry(emp=e, day=d) for e in range(2) for d in range(3)])
        tx.fake.set_faults(company_id=tx.company_id, path_prefix="/timesheet/entry/list", drop_after_commit=1)
        push_all(tx.tenant)
        assert tx.remote_by_key() == tx.expected_by_key()
        assert states(tx.tenant) == [State.SENT] * 6
        calls = tx.fake.calls(tx.company_id)
        assert calls.get("POST /timesheet/entry/list") == 1  # committed once, never resent
        assert calls.get("GET /timesheet/entry", 0) >= 1      # the reconcile read


def test_a_slot_left_in_doubt_by_a_dead_worker_is_looked_up_before_it_is_sent_again(tx):
    with scope(tenant=tx.tenant):
        entries = [tx.entry(day=d) for d in range(2)]
        approve(tx, entries)
        push_all(tx.tenant)
        # As if the worker died after Tripletex committed but before the answer was stored.
        from integrations.models import HourSlot
        HourSlot.objects.filter(tenant=tx.tenant).update(tripletex_id=None, tripletex_version=None, in_doubt=True)
        HourTransfer.objects.filter(tenant=tx.tenant).update(state=State.PENDING)
        tx.fake.clear_calls()
        push_all(tx.tenant)
        assert tx.remote_by_key() == tx.expected_by_key()
        assert "POST /timesheet/entry/list" not in tx.fake.calls(tx.company_id)
        assert states(tx.tenant) == [State.SENT, State.SENT]


def test_retries_end_after_n_attempts_as_failed_and_can_be_retried_by_hand(tx, settings):
    with scope(tenant=tx.tenant):
        settings.HOURS_MAX_ATTEMPTS = 3
        approve(tx, [tx.entry()])
        tx.fake.set_faults(company_id=tx.company_id, path_prefix="/timesheet", error_rate=1.0, error_status=503)
        with scope(tenant=tx.tenant):
            for _ in range(3):
                HourTransfer.objects.filter(tenant=tx.tenant).update(next_attempt_at=None)
                push.hours_push_pending(tenant=tx.tenant)
        row = HourTransfer.objects.get(tenant=tx.tenant)
        assert row.state == State.FAILED and row.attempts == 3 and row.message
        tx.fake.clear_faults()
        with scope(tenant=tx.tenant):
            assert outbox.hour_transfers_retry(tenant=tx.tenant, ids=[row.id]) == 1
        push_all(tx.tenant)
        assert states(tx.tenant) == [State.SENT]
        assert tx.remote_by_key() == tx.expected_by_key()


def test_a_rate_limited_company_is_rescheduled_not_slept_on(tx):
    with scope(tenant=tx.tenant):
        approve(tx, [tx.entry()])
        tx.fake.set_faults(company_id=tx.company_id, burst_429=50, reset_seconds=7)
        with scope(tenant=tx.tenant):
            outcome = push.hours_push_pending(tenant=tx.tenant)
        assert outcome.retry_after and outcome.retry_after >= 5
        row = HourTransfer.objects.get(tenant=tx.tenant)
        assert row.state == State.PENDING and row.attempts == 0  # a rate limit is not the row's failure


def test_per_period_export_sends_what_has_not_gone_and_logs_each_record(tx, world):
    with scope(tenant=tx.tenant):
        sent = tx.entry(day=0)
        approve(tx, [sent])
        push_all(tx.tenant)
        inside = tx.entry(day=1)
        outside = tx.entry(day=20)
        # Approved while the outbox did not exist: no row yet.
        TimeEntry.objects.filter(id__in=[inside.id, outside.id]).update(status=TimeEntry.Status.APPROVED)
        import datetime as dt
        with scope(tenant=tx.tenant):
            run = outbox.hours_export_period(tenant=tx.tenant, date_from=dt.date(2026, 11, 1),
                                             date_to=dt.date(2026, 11, 10), by=world.alice)
        push_all(tx.tenant)
        run.refresh_from_db()
        assert run.kind == SyncRun.Kind.HOURS_EXPORT and run.status == SyncRun.Status.SUCCEEDED
        assert list(run.records.values_list("local_id", "action")) == [(inside.id, SyncRecord.Action.CREATED)]
        assert not HourTransfer.objects.filter(local_entry_id=outside.id).exists()
        assert len(tx.remote_entries()) == 2
