"""Hours someone typed in Tripletex are theirs: on the key we write to, ours are added to theirs and only ours
are ever changed or taken back (DESIGN: never change or delete in Tripletex what we did not write)."""
from decimal import Decimal

import pytest
from django_scopes import scope

from hr.models import TimeEntry
from integrations.models import HourSlot, HourTransfer

from .conftest import approve, push_all, reject

State = HourTransfer.State
pytestmark = pytest.mark.django_db


def hours(remote: dict) -> Decimal:
    return Decimal(str(remote["hours"]))


def only_entry(tx) -> dict:
    entries = tx.remote_entries()
    assert len(entries) == 1, entries
    return entries[0]


def change_and_approve_again(tx, entry, new_hours: str) -> None:
    reject(tx, [entry])
    TimeEntry.objects.filter(id=entry.id).update(hours=Decimal(new_hours), status=TimeEntry.Status.SUBMITTED)
    approve(tx, [entry])


def test_hours_typed_by_hand_in_tripletex_are_kept_and_ours_are_added_to_them(tx):
    with scope(tenant=tx.tenant):
        theirs = tx.type_by_hand(hours=5.0, comment="Møte")
        ours = tx.entry(hours="2.00", comment="Montering")
        approve(tx, [ours])
        push_all(tx.tenant)
        remote = only_entry(tx)
        assert remote["id"] == theirs["id"]
        assert hours(remote) == Decimal("7.00") and remote["comment"] == "Møte; Montering"
        assert HourTransfer.objects.get(local_entry_id=ours.id).state == State.SENT


def test_rejecting_our_hours_on_an_entry_typed_by_hand_leaves_theirs(tx):
    with scope(tenant=tx.tenant):
        tx.type_by_hand(hours=5.0, comment="Møte")
        ours = tx.entry(hours="2.00", comment="Montering")
        approve(tx, [ours])
        push_all(tx.tenant)
        reject(tx, [ours])
        push_all(tx.tenant)
        remote = only_entry(tx)
        assert hours(remote) == Decimal("5.00") and remote["comment"] == "Møte"
        assert HourTransfer.objects.get(local_entry_id=ours.id).state == State.REMOVED


def test_a_hand_edit_after_we_added_our_hours_stays_when_ours_change(tx):
    with scope(tenant=tx.tenant):
        theirs = tx.type_by_hand(hours=5.0)
        ours = tx.entry(hours="2.00")
        approve(tx, [ours])
        push_all(tx.tenant)
        tx.edit_by_hand(theirs["id"], hours=8.0)  # they add an hour of their own to the 7
        change_and_approve_again(tx, ours, "3.00")
        push_all(tx.tenant)
        assert hours(only_entry(tx)) == Decimal("9.00")  # their 6 and our 3
        reject(tx, [ours])
        push_all(tx.tenant)
        assert hours(only_entry(tx)) == Decimal("6.00")


def test_hours_added_by_hand_to_our_own_entry_are_not_deleted_with_ours(tx):
    with scope(tenant=tx.tenant):
        ours = tx.entry(hours="2.00", comment="Montering")
        approve(tx, [ours])
        push_all(tx.tenant)
        created = only_entry(tx)
        tx.edit_by_hand(created["id"], hours=3.0, comment="Montering; rigging")
        reject(tx, [ours])
        push_all(tx.tenant)
        remote = only_entry(tx)
        assert hours(remote) == Decimal("1.00") and remote["comment"] == "rigging"
        assert HourTransfer.objects.get(local_entry_id=ours.id).state == State.REMOVED


def test_a_create_left_in_doubt_does_not_take_an_entry_typed_by_hand_for_ours(tx):
    with scope(tenant=tx.tenant):
        ours = tx.entry(hours="2.00")
        approve(tx, [ours])
        # As if a worker sent our create and died before the answer came: Tripletex refused it, because someone had
        # typed 5 hours on the same key. The slot says what that create carried.
        tx.type_by_hand(hours=5.0)
        HourSlot.objects.filter(tenant=tx.tenant).update(in_doubt=True, hours=Decimal("2.00"), comment="")
        push_all(tx.tenant)
        assert hours(only_entry(tx)) == Decimal("7.00")
        reject(tx, [ours])
        push_all(tx.tenant)
        assert hours(only_entry(tx)) == Decimal("5.00")


def test_our_own_write_whose_answer_was_lost_is_not_taken_for_a_hand_edit(tx):
    with scope(tenant=tx.tenant):
        theirs = tx.type_by_hand(hours=5.0)
        ours = tx.entry(hours="2.00")
        approve(tx, [ours])
        push_all(tx.tenant)
        # Tripletex applies our change to 3 hours but the answer never arrives; the client sends it again with the
        # version it read, Tripletex says the version is stale, and we read the entry back.
        tx.fake.set_faults(company_id=tx.company_id, path_prefix="/timesheet/entry/list", drop_after_commit=1)
        change_and_approve_again(tx, ours, "3.00")
        push_all(tx.tenant)
        assert hours(only_entry(tx)) == Decimal("8.00")
        reject(tx, [ours])
        push_all(tx.tenant)
        remote = only_entry(tx)
        assert remote["id"] == theirs["id"] and hours(remote) == Decimal("5.00")


@pytest.mark.parametrize("duplicate_status", [409, 422])
def test_a_create_refused_as_a_duplicate_takes_the_entry_on_the_key_for_theirs(tx, duplicate_status):
    with scope(tenant=tx.tenant):
        # Tripletex refuses the whole batch as a duplicate (all or nothing): what holds the key is someone else's.
        tx.fake.settings(duplicate_status=duplicate_status)
        a, b = tx.entry(day=0, hours="2.00"), tx.entry(day=1, hours="3.00")
        tx.type_by_hand(day=0, hours=2.0)
        approve(tx, [a, b])
        push_all(tx.tenant)
        assert sorted(hours(e) for e in tx.remote_entries()) == [Decimal("3.00"), Decimal("4.00")]
        assert sorted(HourTransfer.objects.exclude(local_entry_id=0).values_list("state", flat=True)) == [
            State.SENT, State.SENT]
        reject(tx, [a])
        push_all(tx.tenant)
        assert sorted(hours(e) for e in tx.remote_entries()) == [Decimal("2.00"), Decimal("3.00")]


def counts(tx) -> list[Decimal]:
    return sorted(Decimal(str(s["count"])) for s in tx.remote_specs())


def test_a_wage_type_count_typed_by_hand_is_kept_and_ours_added_to_it(tx):
    tx.fake.change(tx.company_id, "salary_type_spec", employee={"id": tx.employees[0][1]},
                   salaryType={"id": tx.wage_types[0][1]}, date="2026-11-02", count=3.0, description="Kurs")
    ours = tx.entry(hours="2.00", wage=0)
    approve(tx, [ours])
    push_all(tx.tenant)
    assert counts(tx) == [Decimal("5.00")]
    reject(tx, [ours])
    push_all(tx.tenant)
    assert counts(tx) == [Decimal("3.00")] and tx.remote_specs()[0]["description"] == "Kurs"


def test_a_wage_type_count_changed_by_hand_is_not_deleted_with_ours(tx):
    ours = tx.entry(hours="2.00", wage=0)
    approve(tx, [ours])
    push_all(tx.tenant)
    [spec] = tx.remote_specs()
    tx.fake.change(tx.company_id, "salary_type_spec", spec["id"], count=2.5)
    reject(tx, [ours])
    push_all(tx.tenant)
    assert counts(tx) == [Decimal("0.50")]
