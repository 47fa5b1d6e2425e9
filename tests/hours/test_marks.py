"""A key's sum holds only what is meant to be in Tripletex, and every row's mark says what Tripletex holds."""
from decimal import Decimal

import pytest
from django_scopes import scope

from integrations.hours import on_connection_activated, push
from integrations.models import HourTransfer, Link

from .conftest import approve, push_all, reject

State = HourTransfer.State
pytestmark = pytest.mark.django_db


def state_of(entry) -> str:
    return HourTransfer.objects.get(local_entry_id=entry.id).state


def remote_hours(tx) -> list[Decimal]:
    return sorted(Decimal(str(e["hours"])) for e in tx.remote_entries())


def test_a_failed_entrys_hours_are_not_carried_to_tripletex_by_a_later_entry_on_its_key(tx):
    with scope(tenant=tx.tenant):
        failed = tx.entry(hours="2.00")
        approve(tx, [failed])
        tx.fake.set_faults(company_id=tx.company_id, path_prefix="/timesheet/entry/list", error_rate=1.0,
                           error_status=422)
        push_all(tx.tenant)
        tx.fake.clear_faults()
        assert state_of(failed) == State.FAILED
        later = tx.entry(hours="3.00")
        approve(tx, [later])
        push_all(tx.tenant)
        assert remote_hours(tx) == [Decimal("3.00")]
        assert state_of(failed) == State.FAILED and state_of(later) == State.SENT


def test_a_locked_entrys_hours_are_not_carried_by_a_later_entry_once_the_period_opens(tx):
    with scope(tenant=tx.tenant):
        locked = tx.entry(hours="2.00")
        tx.fake.lock_period(tx.company_id, "2026-11-01", "2026-11-30")
        approve(tx, [locked])
        push_all(tx.tenant)
        tx.fake.unlock_all(tx.company_id)
        assert state_of(locked) == State.LOCKED
        later = tx.entry(hours="3.00")
        approve(tx, [later])
        push_all(tx.tenant)
        assert remote_hours(tx) == [Decimal("3.00")]
        assert state_of(locked) == State.LOCKED and state_of(later) == State.SENT


def test_hours_a_later_write_takes_out_of_tripletex_are_marked_removed(tx):
    with scope(tenant=tx.tenant):
        a, b = tx.entry(hours="2.00"), tx.entry(hours="3.00")
        approve(tx, [a, b])
        push_all(tx.tenant)
        tx.fake.lock_period(tx.company_id, "2026-11-01", "2026-11-30")
        reject(tx, [a])
        push_all(tx.tenant)
        tx.fake.unlock_all(tx.company_id)
        assert state_of(a) == State.LOCKED and remote_hours(tx) == [Decimal("5.00")]
        c = tx.entry(hours="1.00")
        approve(tx, [c])
        push_all(tx.tenant)
        assert remote_hours(tx) == [Decimal("4.00")]  # b and c: a's hours went out with this write
        assert state_of(a) == State.REMOVED


def test_a_missing_wage_type_link_holds_only_the_wage_count_and_the_hours_go(tx):
    with scope(tenant=tx.tenant):
        wage_type, remote_wage_type = tx.wage_types[0]
        Link.objects.filter(kind=Link.Kind.WAGE_TYPE, local_id=wage_type.id).delete()
        entry = tx.entry(hours="2.00", wage=0)
        approve(tx, [entry])
        push_all(tx.tenant)
        assert remote_hours(tx) == [Decimal("2.00")] and tx.remote_specs() == []
        row = HourTransfer.objects.get(local_entry_id=entry.id)
        assert row.state == State.SENT and row.reason == "lønnsart ikke koblet til Tripletex"

        # The wizard refresh links the wage type and calls the hook.
        Link.objects.create(tenant=tx.tenant, kind=Link.Kind.WAGE_TYPE, local_id=wage_type.id,
                            tripletex_company_id=tx.company_id, tripletex_id=remote_wage_type)
        on_connection_activated(tenant_id=tx.tenant.id)
        push_all(tx.tenant)
        assert [(s["salaryType"]["id"], Decimal(str(s["count"]))) for s in tx.remote_specs()] == [
            (remote_wage_type, Decimal("2.00"))]
        row.refresh_from_db()
        assert row.state == State.SENT and row.reason == ""
        assert remote_hours(tx) == [Decimal("2.00")]


def test_a_slot_another_worker_is_sending_is_not_claimed_twice(tx):
    first = tx.entry(hours="2.00", wage=0)
    approve(tx, [first])
    with scope(tenant=tx.tenant):
        assert len(push._claim(tenant=tx.tenant, worker="w1", limit=10)) == 1
    same_key = tx.entry(hours="1.00")
    same_wage_count = tx.entry(proj=1, hours="1.00", wage=0)
    approve(tx, [same_key, same_wage_count])
    with scope(tenant=tx.tenant):
        assert push._claim(tenant=tx.tenant, worker="w2", limit=10) == []
