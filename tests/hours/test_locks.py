"""Hours Tripletex has locked (approved, invoiced, a closed period) are marked "låst", told apart by Tripletex's
own status and codes: a 423, or a refusal for an entry Tripletex reads back as `locked` or in a month it says
is approved. Never by the words of its message."""
from decimal import Decimal

import pytest
from django_scopes import scope

from integrations.hours import on_connection_activated
from integrations.models import HourTransfer, Link, SyncRecord

from .conftest import approve, push_all, reject

State = HourTransfer.State
pytestmark = pytest.mark.django_db


@pytest.fixture(params=[422, 423], ids=["422", "423"])
def locked_status(request, tx):
    """Tripletex refuses a locked period with 422 (validation) or 423 (locked); both must be recognised."""
    tx.fake.settings(locked_status=request.param)
    yield request.param
    tx.fake.unlock_all(tx.company_id)


def row_of(entry) -> HourTransfer:
    return HourTransfer.objects.get(local_entry_id=entry.id)


def test_a_new_entry_in_a_locked_period_is_marked_locked_and_not_retried(tx, locked_status):
    with scope(tenant=tx.tenant):
        locked, fine = tx.entry(day=0), tx.entry(day=5)
        tx.fake.lock_period(tx.company_id, "2026-11-01", "2026-11-03")
        approve(tx, [locked, fine])
        push_all(tx.tenant)
        row = row_of(locked)
        assert row.state == State.LOCKED and row.reason == "låst i Tripletex" and row.message
        assert row_of(fine).state == State.SENT
        tx.fake.clear_calls()
        push_all(tx.tenant)
        assert tx.fake.calls(tx.company_id) == {}  # no retry
        assert SyncRecord.objects.filter(local_id=locked.id, action=SyncRecord.Action.FAILED).exists()


def test_taking_back_hours_tripletex_has_locked_is_marked_locked(tx, locked_status):
    with scope(tenant=tx.tenant):
        a = tx.entry()
        approve(tx, [a])
        push_all(tx.tenant)
        tx.fake.lock_period(tx.company_id, "2026-11-01", "2026-11-30")
        reject(tx, [a])
        push_all(tx.tenant)
        assert row_of(a).state == State.LOCKED
        assert len(tx.remote_entries()) == 1


def test_changing_the_sum_of_a_locked_entry_is_marked_locked(tx, locked_status):
    with scope(tenant=tx.tenant):
        a, b = tx.entry(hours="2.00"), tx.entry(hours="3.00")
        approve(tx, [a, b])
        push_all(tx.tenant)
        tx.fake.lock_period(tx.company_id, "2026-11-01", "2026-11-30")
        reject(tx, [b])
        push_all(tx.tenant)
        assert row_of(b).state == State.LOCKED
        assert [Decimal(str(e["hours"])) for e in tx.remote_entries()] == [Decimal("5.00")]


def test_a_wage_count_in_a_locked_period_is_marked_locked_beside_hours_already_sent(tx, locked_status):
    with scope(tenant=tx.tenant):
        wage_type, remote_wage_type = tx.wage_types[0]
        Link.objects.filter(kind=Link.Kind.WAGE_TYPE, local_id=wage_type.id).delete()
        entry = tx.entry(hours="2.00", wage=0)
        approve(tx, [entry])
        push_all(tx.tenant)  # the hours go; the count waits for its link
        tx.fake.lock_period(tx.company_id, "2026-11-01", "2026-11-30")
        Link.objects.create(tenant=tx.tenant, kind=Link.Kind.WAGE_TYPE, local_id=wage_type.id,
                            tripletex_company_id=tx.company_id, tripletex_id=remote_wage_type)
        on_connection_activated(tenant_id=tx.tenant.id)
        push_all(tx.tenant)
        row = row_of(entry)
        assert row.state == State.SENT and row.reason == "antall per lønnsart låst i Tripletex"
        assert tx.remote_specs() == []


def test_a_refusal_whose_words_mention_a_lock_is_not_taken_for_one(tx):
    with scope(tenant=tx.tenant):
        # A closed project numbered "LOCK-1": Tripletex's refusal names it, and the period is open.
        project_id = tx.projects[0][1]
        tx.fake.change(tx.company_id, "project", project_id, number="LOCK-1", isClosed=True)
        entry = tx.entry()
        approve(tx, [entry])
        push_all(tx.tenant)
        row = row_of(entry)
        assert row.state == State.FAILED and row.reason == "avvist av Tripletex" and "LOCK-1" in row.message
