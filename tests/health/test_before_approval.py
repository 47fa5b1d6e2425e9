"""Before approval: the approval page says, per row, what Tripletex will not take, from what we already know
(links, the wizard's last refresh, "Endret i Tripletex", locked dates, earlier refusals), without a Tripletex
call per row; each problem links to its fix, and the admin can approve the rest."""
import datetime as dt

import pytest
from django.urls import reverse
from django_scopes import scope

from hr.models import Project, TimeEntry
from integrations.hours.checks import approval_problems
from integrations.models import HourTransfer, Link, RemoteChange
from tests.factories import EmployeeFactory, TimeEntryFactory, WageTypeFactory
from wizard import services

from .conftest import approve, push_all

pytestmark = pytest.mark.django_db
APPROVALS = reverse("hr:approvals")


def problems_of(tx, *entries) -> dict[int, set[str]]:
    with scope(tenant=tx.tenant):
        rows = TimeEntry.objects.filter(id__in=[e.id for e in entries]).select_related("project")
        found = approval_problems(tenant=tx.tenant, entries=rows)
    return {e.id: {p.code for p in found.get(e.id, [])} for e in entries}


def page(world, **params) -> str:
    return world.client_for(world.alice, world.a).get(APPROVALS, params).content.decode()


def test_a_project_closed_in_tripletex_before_approval_is_flagged_after_the_wizard_refresh(
        world, tx, django_capture_on_commit_callbacks):
    with scope(tenant=tx.tenant):
        closed_project, remote_id = tx.projects[0]
        tx.fake.change(tx.company_id, "project", remote_id, isClosed=True)
        with django_capture_on_commit_callbacks(execute=True):
            draft = services.draft_check_token(tenant=tx.tenant, by=world.alice, keep_stored=True)
        with django_capture_on_commit_callbacks(execute=True):
            services.draft_finish(tenant=tx.tenant, by=world.alice, draft_id=draft.id, send_hours=services.SEND_ALL)
        assert Link.objects.get(kind=Link.Kind.PROJECT, local_id=closed_project.id).unusable == Link.Unusable.CLOSED
        on_closed, on_open = tx.entry(proj=0), tx.entry(proj=1)
        assert problems_of(tx, on_closed, on_open) == {on_closed.id: {"project_closed"}, on_open.id: set()}
        html = page(world)
        assert 'data-problems="project_closed"' in html and "Prosjektet er avsluttet i Tripletex." in html
        assert f'href="{reverse("wizard:step", args=["prosjekter"])}"' in html
        # Opened again in Tripletex, the next refresh clears the mark.
        tx.fake.change(tx.company_id, "project", remote_id, isClosed=False)
        with django_capture_on_commit_callbacks(execute=True):
            draft = services.draft_check_token(tenant=tx.tenant, by=world.alice, keep_stored=True)
        with django_capture_on_commit_callbacks(execute=True):
            services.draft_finish(tenant=tx.tenant, by=world.alice, draft_id=draft.id, send_hours=services.SEND_ALL)
        assert problems_of(tx, on_closed)[on_closed.id] == set()


def test_a_project_closed_in_tripletex_waiting_in_endret_i_tripletex_is_flagged(world, tx):
    project, remote_id = tx.projects[0]
    RemoteChange.objects.create(tenant=tx.tenant, kind=Link.Kind.PROJECT, tripletex_company_id=tx.company_id,
                                tripletex_id=remote_id, local_id=project.id, change=RemoteChange.Change.CLOSED)
    entry = tx.entry(proj=0)
    assert problems_of(tx, entry)[entry.id] == {"project_closed"}
    assert 'href="/selskapsinnstillinger/#tripletex"' in page(world)


def test_a_project_completed_here_or_gone_from_tripletex_is_flagged(tx):
    with scope(tenant=tx.tenant):
        Project.objects.filter(id=tx.projects[0][0].id).update(status=Project.Status.COMPLETED)
        Link.objects.filter(kind=Link.Kind.PROJECT, local_id=tx.projects[1][0].id).update(missing_since=dt.datetime.now(
            dt.UTC))
        completed, gone = tx.entry(proj=0), tx.entry(proj=1)
        assert problems_of(tx, completed, gone) == {completed.id: {"project_closed"}, gone.id: {"project_gone"}}


def test_an_employee_not_linked_blocks_and_a_wage_type_not_linked_only_warns(world, tx):
    with scope(tenant=tx.tenant):
        stranger = EmployeeFactory(tenant=tx.tenant, first_name="Ukoblet")
        unlinked_wage = WageTypeFactory(tenant=tx.tenant)
        by_stranger = TimeEntryFactory(tenant=tx.tenant, employee=stranger, project=tx.projects[0][0],
                                       activity=tx.activities[0][0])
        with_wage = tx.entry(day=1)
        TimeEntry.objects.filter(id=with_wage.id).update(wage_type=unlinked_wage)
        assert problems_of(tx, by_stranger, with_wage) == {by_stranger.id: {"employee_not_linked"},
                                                           with_wage.id: {"wage_type"}}
        with scope(tenant=tx.tenant):
            found = approval_problems(tenant=tx.tenant, entries=TimeEntry.objects.filter(id=with_wage.id))
        assert not found[with_wage.id][0].blocks


def test_a_period_tripletex_refused_as_locked_flags_that_employees_earlier_days_of_the_month(tx):
    with scope(tenant=tx.tenant):
        tx.fake.lock_period(tx.company_id, "2026-11-01", "2026-11-04", approved_by=tx.employees[2][1])
        approve(tx, [tx.entry(day=2)])  # 4 November: refused as locked
        push_all(tx.tenant)
        assert HourTransfer.objects.get(tenant=tx.tenant).state == HourTransfer.State.LOCKED
        earlier, later_day, other_employee = tx.entry(day=0), tx.entry(day=5), tx.entry(emp=1, day=0)
        assert problems_of(tx, earlier, later_day, other_employee) == {
            earlier.id: {"locked_in_tripletex"}, later_day.id: set(), other_employee.id: set()}
        tx.fake.unlock_all(tx.company_id)


def test_hours_in_the_period_locked_here_are_flagged_with_a_link_to_the_setting(world, tx):
    tx.tenant.hours_locked_until = dt.date(2026, 11, 3)
    tx.tenant.save()
    inside, outside = tx.entry(day=1), tx.entry(day=2)
    assert problems_of(tx, inside, outside) == {inside.id: {"locked_here"}, outside.id: set()}
    assert 'href="/selskapsinnstillinger/"' in page(world)


def test_hours_tripletex_refused_before_on_the_same_project_and_activity_are_flagged(tx):
    tx.fake.change(tx.company_id, "project", tx.projects[0][1], isClosed=True)  # unknown here: Tripletex refuses
    approve(tx, [tx.entry()])
    push_all(tx.tenant)
    again = tx.entry(day=3)
    assert problems_of(tx, again)[again.id] == {"refused_before"}


def test_the_checks_ask_tripletex_nothing_and_cost_the_same_queries_for_fifty_rows_as_for_two(
        world, tx, django_assert_max_num_queries):
    RemoteChange.objects.create(tenant=tx.tenant, kind=Link.Kind.PROJECT, tripletex_company_id=tx.company_id,
                                tripletex_id=tx.projects[0][1], local_id=tx.projects[0][0].id,
                                change=RemoteChange.Change.CLOSED)
    two = [tx.entry(day=d) for d in range(2)]
    with scope(tenant=tx.tenant), django_assert_max_num_queries(6) as small:
        approval_problems(tenant=tx.tenant, entries=TimeEntry.objects.filter(id__in=[e.id for e in two])
                          .select_related("project"))
    many = two + [tx.entry(emp=e % 3, proj=e % 2, day=2 + e % 20, wage=e % 2) for e in range(48)]
    tx.fake.clear_calls()
    with scope(tenant=tx.tenant), django_assert_max_num_queries(len(small.captured_queries)):
        found = approval_problems(tenant=tx.tenant, entries=TimeEntry.objects.filter(id__in=[e.id for e in many])
                                  .select_related("project"))
    assert len(found) == 2 + 24  # every entry on the closed project
    assert tx.fake.calls(tx.company_id) == {}


def test_the_admin_can_approve_the_hours_without_problems_and_leave_the_rest(world, tx):
    with scope(tenant=tx.tenant):
        RemoteChange.objects.create(tenant=tx.tenant, kind=Link.Kind.PROJECT, tripletex_company_id=tx.company_id,
                                    tripletex_id=tx.projects[0][1], local_id=tx.projects[0][0].id,
                                    change=RemoteChange.Change.CLOSED)
        blocked, fine, warned = tx.entry(proj=0), tx.entry(proj=1), tx.entry(proj=1, day=1)
        TimeEntry.objects.filter(id=warned.id).update(wage_type=WageTypeFactory(tenant=tx.tenant))
        html = page(world)
        assert 'data-testid="approve-clean"' in html
        alice = world.client_for(world.alice, world.a)
        alice.post(reverse("hr:approvals_bulk"), {"action": "approve_clean", "shown": [blocked.id, fine.id, warned.id]})
        statuses = dict(TimeEntry.objects.filter(tenant=tx.tenant).values_list("id", "status"))
        assert statuses == {blocked.id: TimeEntry.Status.SUBMITTED, fine.id: TimeEntry.Status.APPROVED,
                            warned.id: TimeEntry.Status.APPROVED}
        # The admin may still approve the flagged one by choosing it.
        alice.post(reverse("hr:approvals_bulk"), {"action": "approve", "entries": [blocked.id]})
        assert TimeEntry.objects.get(id=blocked.id).status == TimeEntry.Status.APPROVED
