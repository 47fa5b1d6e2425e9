"""What the admin sees: transfer state per entry, the Timeoverføring page, Prøv igjen and the export per period."""
import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from hr.models import TimeEntry
from integrations.models import HourTransfer, Link, SyncRun

from .conftest import approve, push_all

State = HourTransfer.State
pytestmark = pytest.mark.django_db


def test_the_approval_page_shows_each_entrys_transfer_state(tx, world):
    with scope(tenant=tx.tenant):
        sent, held = tx.entry(emp=0), tx.entry(emp=1)
        Link.objects.filter(kind=Link.Kind.EMPLOYEE, local_id=held.employee_id).delete()
        waiting = tx.entry(emp=2, day=3)
        approve(tx, [sent, held])
        push_all(tx.tenant)
        approve(tx, [waiting])
        body = world.client_for(world.alice, world.a).get(reverse("hr:approvals"), {"status": "approved"}).content.decode()
        assert body.count('data-transfer="sent"') == 1
        assert body.count('data-transfer="held"') == 1 and "ansatt ikke koblet til Tripletex" in body
        assert body.count('data-transfer="pending"') == 1
        assert "legges sammen til én føring i Tripletex" in body


def test_the_timesheet_shows_the_employees_own_transfer_state(tx, world):
    carol = tx.employees[0][0]
    carol.user = world.carol
    carol.save()
    entry = tx.entry(emp=0)
    approve(tx, [entry])
    push_all(tx.tenant)
    body = world.client_for(world.carol, world.a).get(reverse("hr:timesheet"), {"uke": "2026-W45"}).content.decode()
    assert 'data-transfer="sent"' in body


def test_the_transfer_page_is_for_admins_only(world):
    assert world.client_for(world.carol, world.a).get(reverse("integrations:hours")).status_code == 403


def test_the_transfer_page_lists_failures_with_tripletexs_message_and_retry_sends_them_again(tx, world, settings):
    with scope(tenant=tx.tenant):
        settings.HOURS_MAX_ATTEMPTS = 1
        entry = tx.entry()
        approve(tx, [entry])
        tx.fake.set_faults(company_id=tx.company_id, path_prefix="/timesheet", error_rate=1.0, error_status=503)
        push_all(tx.tenant)
        tx.fake.clear_faults()
        row = HourTransfer.objects.get(tenant=tx.tenant)
        assert row.state == State.FAILED
        client = world.client_for(world.alice, world.a)
        body = client.get(reverse("integrations:hours")).content.decode()
        assert "En intern feil oppstod" in body and "Prøv igjen" in body and 'data-transfer="failed"' in body

        response = client.post(reverse("integrations:hours_retry"), {"rows": [row.id]})
        assert response.status_code == 302
        row.refresh_from_db()
        assert row.state == State.PENDING and row.attempts == 0
        push_all(tx.tenant)
        assert HourTransfer.objects.get(tenant=tx.tenant).state == State.SENT


def test_eksporter_timer_til_tripletex_sends_the_period_and_shows_the_run(tx, world):
    with scope(tenant=tx.tenant):
        entry = tx.entry(day=1)
        TimeEntry.objects.filter(id=entry.id).update(status=TimeEntry.Status.APPROVED)  # approved before the outbox
        client = world.client_for(world.alice, world.a)
        response = client.post(reverse("integrations:hours_export"), {"date_from": "2026-11-01", "date_to": "2026-11-30"})
        assert response.status_code == 302
        run = SyncRun.objects.get(tenant=tx.tenant, kind=SyncRun.Kind.HOURS_EXPORT)
        assert response["Location"] == reverse("integrations:hours_run", kwargs={"run_id": run.id})
        push_all(tx.tenant)
        run.refresh_from_db()
        assert run.status == SyncRun.Status.SUCCEEDED
        body = client.get(response["Location"]).content.decode()
        assert "Opprettet" in body and "03.11.2026" in body
        assert len(tx.remote_entries()) == 1


def test_the_export_form_refuses_a_backwards_period_where_the_admin_is(tx, world):
    with scope(tenant=tx.tenant):
        client = world.client_for(world.alice, world.a)
        response = client.post(reverse("integrations:hours_export"), {"date_from": "2026-11-30", "date_to": "2026-11-01"})
        assert response.status_code == 200 and "Fra-datoen må være før til-datoen." in response.content.decode()
        assert not SyncRun.objects.filter(kind=SyncRun.Kind.HOURS_EXPORT).exists()


def test_the_status_card_partial_shows_the_last_transfer(tx, world):
    with scope(tenant=tx.tenant):
        from django.template.loader import render_to_string
        from django.test import RequestFactory

        approve(tx, [tx.entry()])
        push_all(tx.tenant)
        request = RequestFactory().get("/")
        request.tenant = tx.tenant
        html = render_to_string("integrations/_hours_status.html", {"request": request})
        today = timezone.localdate().strftime("%d.%m.%Y")
        assert "Siste timeoverføring" in html and today in html


def test_the_transfer_page_states_the_rules_for_hours_typed_by_hand_failed_sums_and_wage_types(tx, world):
    body = world.client_for(world.alice, world.a).get(reverse("integrations:hours")).content.decode()
    assert "legger vi timene herfra til på den føringen" in body and 'data-rule="theirs"' in body
    assert "regnes ikke med i summen som sendes" in body and 'data-rule="sum"' in body
    assert "bare antallet per lønnsart venter" in body and 'data-rule="wage"' in body


def test_hours_sent_without_their_wage_type_count_are_listed_for_follow_up_and_released_by_a_refresh(tx, world):
    with scope(tenant=tx.tenant):
        wage_type, remote_wage_type = tx.wage_types[0]
        Link.objects.filter(kind=Link.Kind.WAGE_TYPE, local_id=wage_type.id).delete()
        approve(tx, [tx.entry(wage=0)])
        push_all(tx.tenant)
        client = world.client_for(world.alice, world.a)
        body = client.get(reverse("integrations:hours")).content.decode()
        assert 'data-transfer="sent"' in body and "lønnsart ikke koblet til Tripletex" in body
        assert "1 sendt uten antall per lønnsart" in body

        Link.objects.create(tenant=tx.tenant, kind=Link.Kind.WAGE_TYPE, local_id=wage_type.id,
                            tripletex_company_id=tx.company_id, tripletex_id=remote_wage_type)
        from integrations.hours import on_connection_activated
        on_connection_activated(tenant_id=tx.tenant.id)
        push_all(tx.tenant)
        body = client.get(reverse("integrations:hours")).content.decode()
        assert "Ingen timer trenger oppfølging." in body and len(tx.remote_specs()) == 1
