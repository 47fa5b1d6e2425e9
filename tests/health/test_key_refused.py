"""A key that stops working: the connection moves to "Trenger ny API-nøkkel", transfers and connectors pause
without spending attempts, each admin gets one e-mail, every admin page shows a banner with a button to step 1,
and a new key resumes what waited, without duplicates."""
import pytest
from django.urls import reverse
from django_scopes import scope

from integrations.connectors.runner import connector_run_execute
from integrations.models import Connection, ConnectionEvent, ConnectorConfig, HourTransfer, SyncRun
from integrations.services import connection_token_replace
from wizard import services
from wizard.models import Draft

from .conftest import approve, push_all, push_once

pytestmark = pytest.mark.django_db
State = HourTransfer.State
TOKEN_URL = reverse("wizard:step", args=["api-nokkel"])


def connection_of(tx) -> Connection:
    return Connection.objects.get(tenant=tx.tenant)


def new_key(tx) -> str:
    return tx.fake.make_token(tx.company_id, "GrønnJobb")


def test_a_revoked_key_makes_the_connection_wait_and_leaves_the_hours_untouched(tx):
    with scope(tenant=tx.tenant):
        approve(tx, [tx.entry(day=d) for d in range(3)])
        tx.fake.revoke_token(tx.token)
        push_all(tx.tenant)
        connection = connection_of(tx)
        assert connection.state == Connection.State.NEEDS_TOKEN and connection.token_refused_at
        assert connection.token_refusal and connection.token_refusal_request_id
        rows = HourTransfer.objects.filter(tenant=tx.tenant)
        assert {(r.state, r.attempts, r.next_attempt_at) for r in rows} == {(State.PENDING, 0, None)}
        refused = ConnectionEvent.objects.filter(tenant=tx.tenant, action=ConnectionEvent.Action.TOKEN_REFUSED)
        assert refused.count() == 1


def test_while_the_connection_waits_nothing_is_sent_and_no_attempt_is_counted(tx):
    with scope(tenant=tx.tenant):
        approve(tx, [tx.entry()])
        tx.fake.revoke_token(tx.token)
        push_all(tx.tenant)
        approve(tx, [tx.entry(day=1)])
        tx.fake.clear_calls()
        for _ in range(5):
            push_all(tx.tenant)
        assert tx.fake.calls(tx.company_id) == {}
        rows = HourTransfer.objects.filter(tenant=tx.tenant)
        assert set(rows.values_list("state", "attempts")) == {(State.PENDING, 0)}


def test_each_admin_gets_one_email_however_many_calls_are_refused(world, tx, second_admin, mailoutbox,
                                                                    django_capture_on_commit_callbacks):
    with scope(tenant=tx.tenant):
        approve(tx, [tx.entry()])
    tx.fake.revoke_token(tx.token)
    # The e-mails go when the transaction commits, here after the body has left the company's scope: the
    # notification must enter its company's scope itself.
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            push_all(tx.tenant)
        # A connector run with the same key is refused too: still no second mail.
        ConnectorConfig.objects.create(tenant=tx.tenant, name="master_data", enabled=True)
        run = SyncRun.objects.create(tenant=tx.tenant, kind=SyncRun.Kind.CONNECTOR, connector="master_data")
        with scope(tenant=tx.tenant):
            connector_run_execute(run=run)
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@alfa.no", "dina@alfa.no"]  # carol is no admin
    mail = mailoutbox[0]
    assert "API-nøkkel" in mail.subject and tx.tenant.name in mail.subject
    assert TOKEN_URL in mail.body and tx.fake.base_url in mail.body
    with scope(tenant=tx.tenant):
        assert connection_of(tx).admins_notified_at is not None


def test_a_refusal_of_a_key_already_replaced_changes_nothing(tx):
    with scope(tenant=tx.tenant):
        old = connection_of(tx)
        replaced = new_key(tx)
        Connection.objects.filter(pk=old.pk).update(employee_token=replaced)
        tx.fake.revoke_token(tx.token)
        approve(tx, [tx.entry()])
        push_once(tx.tenant)  # reads the new key: goes through
        from integrations.services import connection_token_refused
        from integrations.tripletex import TokenRejected

        refusal = TokenRejected(403, 9000, "revoked", permanent=True, developer_message="EMPLOYEE_TOKEN_REVOKED: x")
        assert connection_token_refused(connection=old, exc=refusal) is False
        assert connection_of(tx).is_active


def test_a_key_revoked_between_batches_resumes_with_a_new_key_without_duplicates(tx, settings):
    with scope(tenant=tx.tenant):
        settings.HOURS_BATCH_SIZE = 2
        entries = [tx.entry(emp=e, day=d) for e in range(2) for d in range(3)]
        approve(tx, entries)
        push_once(tx.tenant, max_batches=1)  # the first batch goes
        assert HourTransfer.objects.filter(tenant=tx.tenant, state=State.SENT).count() == 2
        tx.fake.revoke_token(tx.token)
        push_all(tx.tenant)
        assert connection_of(tx).needs_token
        with scope(tenant=tx.tenant):
            connection_token_replace(tenant=tx.tenant, by=None, employee_token=new_key(tx), company_id=tx.company_id,
                                     employee_name="Ny bruker", key_rights={})
        push_all(tx.tenant)
        assert set(HourTransfer.objects.filter(tenant=tx.tenant).values_list("state", flat=True)) == {State.SENT}
        assert tx.remote_by_key() == tx.expected_by_key() and len(tx.remote_entries()) == 6


def test_a_key_revoked_inside_a_batch_puts_the_batch_back_and_resumes_without_duplicates(tx, settings):
    """Revoked after Tripletex took the create but before the count per wage type: the row goes back
    untouched, and the next try with a new key adopts the entry it made instead of making a second one."""
    with scope(tenant=tx.tenant):
        entry = tx.entry(hours="4.00", wage=0)
        approve(tx, [entry])
        tx.fake.set_faults(path_prefix="/timesheet/salaryTypeSpecification", error_rate=1.0, error_status=401)
        push_all(tx.tenant)
        tx.fake.clear_faults()
        row = HourTransfer.objects.get(local_entry_id=entry.id)
        assert connection_of(tx).needs_token and (row.state, row.attempts) == (State.PENDING, 0)
        assert len(tx.remote_entries()) == 1
        with scope(tenant=tx.tenant):
            connection_token_replace(tenant=tx.tenant, by=None, employee_token=new_key(tx), company_id=tx.company_id,
                                     employee_name="Ny bruker", key_rights={})
        push_all(tx.tenant)
        row.refresh_from_db()
        assert (row.state, row.reason) == (State.SENT, "")
        assert len(tx.remote_entries()) == 1 and len(tx.remote_specs()) == 1


def test_a_connector_run_refused_ends_with_a_message_and_leaves_its_watermark(tx):
    with scope(tenant=tx.tenant):
        config = ConnectorConfig.objects.create(tenant=tx.tenant, name="master_data", enabled=True)
        tx.fake.revoke_token(tx.token)
        run = SyncRun.objects.create(tenant=tx.tenant, kind=SyncRun.Kind.CONNECTOR, connector="master_data")
        with scope(tenant=tx.tenant):
            connector_run_execute(run=run)
        run.refresh_from_db()
        config.refresh_from_db()
        assert run.status == SyncRun.Status.FAILED and "ny nøkkel" in run.message
        assert config.watermark is None and connection_of(tx).needs_token


# The pages.


def test_every_admin_page_shows_the_banner_with_a_button_to_step_1(world, tx):
    with scope(tenant=tx.tenant):
        Connection.objects.filter(tenant=tx.tenant).update(state=Connection.State.NEEDS_TOKEN)
        alice = world.client_for(world.alice, world.a)
        for url in (reverse("hr:approvals"), reverse("integrations:hours"), reverse("company_settings"),
                    reverse("hr:timesheet")):
            html = alice.get(url).content.decode()
            assert 'data-testid="key-banner"' in html and f'href="{TOKEN_URL}"' in html, url
        carol = world.client_for(world.carol, world.a)
        assert 'data-testid="key-banner"' not in carol.get(reverse("hr:timesheet")).content.decode()


def test_the_banner_costs_one_query_and_is_not_shown_while_the_key_works(world, tx, django_assert_num_queries):
    with scope(tenant=tx.tenant):
        from django.test import RequestFactory

        from integrations.context_processors import connection_health

        request = RequestFactory().get("/")
        request.tenant, request.membership = world.a, world.a.memberships.get(user=world.alice)
        with django_assert_num_queries(1):
            assert connection_health(request) == {}
        html = world.client_for(world.alice, world.a).get(reverse("hr:approvals")).content.decode()
        assert 'data-testid="key-banner"' not in html


def test_a_new_key_for_the_same_company_resumes_by_the_short_path(world, tx, django_capture_on_commit_callbacks):
    with scope(tenant=tx.tenant):
        approve(tx, [tx.entry(), tx.entry(day=1)])
        tx.fake.revoke_token(tx.token)
        push_all(tx.tenant)
        alice = world.client_for(world.alice, world.a)
        html = alice.get(TOKEN_URL).content.decode()
        assert 'data-testid="key-refused"' in html and tx.fake.base_url in html
        with django_capture_on_commit_callbacks(execute=True):
            alice.post(TOKEN_URL, {"token": new_key(tx)})
        assert 'data-testid="resume-with-key"' in alice.get(TOKEN_URL).content.decode()
        with django_capture_on_commit_callbacks(execute=True):  # the push is queued on commit (and runs eagerly)
            alice.post(reverse("wizard:resume"))
        connection = connection_of(tx)
        assert connection.is_active and connection.token_refused_at is None and connection.rights["timesheet"]
        assert not Draft.objects.filter(tenant=tx.tenant).exists()
        assert set(HourTransfer.objects.filter(tenant=tx.tenant).values_list("state", flat=True)) == {State.SENT}
        assert tx.remote_by_key() == tx.expected_by_key()


def test_ferdigstill_with_a_new_key_resumes_a_waiting_connection_as_a_refresh(
        world, tx, django_capture_on_commit_callbacks):
    with scope(tenant=tx.tenant):
        tx.fake.revoke_token(tx.token)
        approve(tx, [tx.entry()])
        push_all(tx.tenant)
        with django_capture_on_commit_callbacks(execute=True):
            draft = services.draft_check_token(tenant=tx.tenant, by=world.alice, token=new_key(tx))
        with django_capture_on_commit_callbacks(execute=True):
            run = services.draft_finish(tenant=tx.tenant, by=world.alice, draft_id=draft.id,
                                        send_hours=services.SEND_ALL)
        assert run.kind == SyncRun.Kind.REFRESH and connection_of(tx).is_active
        assert HourTransfer.objects.get(tenant=tx.tenant).state == State.SENT


def test_the_admin_can_remove_an_integration_that_waits_for_a_key(world, tx):
    with scope(tenant=tx.tenant):
        Connection.objects.filter(tenant=tx.tenant).update(state=Connection.State.NEEDS_TOKEN)
        alice = world.client_for(world.alice, world.a)
        assert alice.get(reverse("wizard:remove")).status_code == 200
        alice.post(reverse("wizard:remove"))
        connection = connection_of(tx)
        assert connection.state == Connection.State.REMOVED and connection.employee_token == ""


def test_the_stored_key_working_again_resumes_by_the_same_short_path(world, tx, django_capture_on_commit_callbacks):
    """A key refused because its user was deactivated works again once the user is active again."""
    with scope(tenant=tx.tenant):
        approve(tx, [tx.entry()])
        Connection.objects.filter(tenant=tx.tenant).update(state=Connection.State.NEEDS_TOKEN)
        alice = world.client_for(world.alice, world.a)
        with django_capture_on_commit_callbacks(execute=True):
            alice.post(TOKEN_URL, {"keep_stored": "1"})
        with django_capture_on_commit_callbacks(execute=True):
            alice.post(reverse("wizard:resume"))
        connection = connection_of(tx)
        assert connection.is_active and connection.employee_token == tx.token
        replaced = ConnectionEvent.objects.filter(tenant=tx.tenant, action=ConnectionEvent.Action.TOKEN_REPLACED)
        assert not replaced.exists()
        assert HourTransfer.objects.get(tenant=tx.tenant).state == State.SENT
