"""At the key (wizard step 1): what the key's Tripletex user may do, found with harmless reads and from Tripletex's
403s, never by writing into the company's books; a missing right says which, where to grant it and what will
not work, and the admin may go on. Writes Tripletex refuses later are recorded against the same right."""
import pytest
from django.urls import reverse
from django_scopes import scope

from integrations import rights
from integrations.models import Connection, HourTransfer
from integrations.hours.outbox import hour_transfers_retry
from integrations.hours.push import HOLD_NO_RIGHT
from integrations.hours.wages import WAGE_NO_RIGHT
from wizard import services
from wizard.models import Draft

from .conftest import approve, push_all

pytestmark = pytest.mark.django_db
State = HourTransfer.State
TOKEN_URL = reverse("wizard:step", args=["api-nokkel"])


@pytest.fixture
def company(fake):
    return fake.create_company("Tilgang AS", employees=4, projects=3, wage_types=3)


def step1(world, token, capture):
    with capture(execute=True):
        return services.draft_check_token(tenant=world.a, by=world.alice, token=token)


def states(draft) -> dict:
    draft.refresh_from_db()
    return {key: found["state"] for key, found in draft.rights.items()}


def test_a_key_whose_user_lacks_timesheet_rights_is_shown_missing_at_step_1(
        world, fake, company, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        token = company["employee_tokens"]["GrønnJobb"]
        fake.deny_rights(token, {"path": "/timesheet/entry"})
        draft = step1(world, token, django_capture_on_commit_callbacks)
        assert states(draft) == {"projects": "ok", "employees": "ok", "wage_types": "ok", "timesheet": "missing",
                                 "wage_counts": "ok", "activities": "ok"}
        assert draft.rights["timesheet"]["request_id"]  # Tripletex's own request id, for its support


def test_the_check_only_reads_one_id_per_right_and_writes_nothing(
        world, fake, company, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        fake.clear_calls()
        step1(world, company["employee_tokens"]["GrønnJobb"], django_capture_on_commit_callbacks)
        calls = fake.calls(company["id"])
        writes = {call: n for call, n in calls.items() if not call.startswith("GET ")}
        assert writes == {"PUT /token/session/:create": 5}  # step 1's check, the three fetches, the rights check
        for right in rights.RIGHTS:
            assert calls[f"GET {right.path}"] >= 1
        assert calls["GET /timesheet/entry"] == 1 and calls["GET /timesheet/salaryTypeSpecification"] == 1


def test_step_1_says_which_right_where_to_grant_it_and_what_will_not_work(
        world, fake, company, django_capture_on_commit_callbacks):
    token = company["employee_tokens"]["GrønnJobb"]
    fake.deny_rights(token, {"path": "/salary"}, {"path": "/timesheet/salaryTypeSpecification"})
    alice = world.client_for(world.alice, world.a)
    with django_capture_on_commit_callbacks(execute=True):
        alice.post(TOKEN_URL, {"token": token})  # the check runs on commit, as a task
    html = alice.get(TOKEN_URL).content.decode()
    assert 'data-right="wage_types" data-state="missing"' in html
    assert 'data-right="wage_counts" data-state="missing"' in html
    assert 'data-right="timesheet" data-state="ok"' in html
    assert "Ansatte → velg brukeren → Tilganger" in html and str(rights.BY_KEY["wage_types"].grant) in html
    assert str(rights.BY_KEY["wage_counts"].without) in html
    assert "Du kan gå videre likevel" in html
    assert ">Neste</a>" in html


def test_the_checklist_is_kept_on_the_connection_at_ferdigstill(
        world, fake, company, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        token = company["employee_tokens"]["GrønnJobb"]
        fake.deny_rights(token, {"path": "/activity", "methods": ["GET", "POST"]})
        draft = step1(world, token, django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            services.draft_finish(tenant=world.a, by=world.alice, draft_id=draft.id, send_hours=services.SEND_ALL)
        connection = Connection.objects.get(tenant=world.a)
        assert connection.rights["activities"]["state"] == "missing" and connection.rights["projects"]["state"] == "ok"


def test_a_key_refused_at_step_1_says_which_tripletex_environment_this_app_talks_to(
        world, fake, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        with pytest.raises(services.WizardError) as exc:
            step1(world, "test-" + "x" * 30, django_capture_on_commit_callbacks)
        assert exc.value.code == "unknown_token"
        assert fake.base_url in exc.value.message and "testmiljøet" in exc.value.message
        assert not Draft.objects.filter(tenant=world.a).exists()


# Rights Tripletex refuses at a write, after step 1.


def test_hours_a_user_may_not_write_are_held_for_the_right_without_spending_attempts(tx):
    with scope(tenant=tx.tenant):
        fake = tx.fake
        fake.deny_rights(tx.token, {"path": "/timesheet/entry", "methods": ["POST", "PUT", "DELETE"]})
        approve(tx, [tx.entry(day=0), tx.entry(day=1)])
        push_all(tx.tenant)
        rows = list(HourTransfer.objects.filter(tenant=tx.tenant))
        assert {(r.state, r.reason, r.attempts) for r in rows} == {(State.HELD, HOLD_NO_RIGHT, 0)}
        assert all(r.message and r.request_id for r in rows)
        connection = Connection.objects.get(tenant=tx.tenant)
        timesheet = connection.rights["timesheet"]
        assert (timesheet["state"], timesheet["learnt"]) == ("missing", "refusal")
        assert tx.remote_entries() == []
        # Once the right is given in Tripletex, «Prøv igjen» sends them, and the right shows as there again.
        fake.deny_rights(tx.token)
        hour_transfers_retry(tenant=tx.tenant)
        push_all(tx.tenant)
        assert set(HourTransfer.objects.filter(tenant=tx.tenant).values_list("state", flat=True)) == {State.SENT}
        assert tx.remote_by_key() == tx.expected_by_key()
        assert Connection.objects.get(tenant=tx.tenant).rights["timesheet"]["state"] == "ok"


def test_without_the_wage_count_right_the_hours_go_and_only_the_count_waits(tx):
    with scope(tenant=tx.tenant):
        tx.fake.deny_rights(tx.token, {"path": "/timesheet/salaryTypeSpecification"})
        entry = tx.entry(hours="3.00", wage=0)
        approve(tx, [entry])
        push_all(tx.tenant)
        row = HourTransfer.objects.get(local_entry_id=entry.id)
        assert (row.state, row.reason) == (State.SENT, WAGE_NO_RIGHT)
        assert len(tx.remote_entries()) == 1 and tx.remote_specs() == []
        assert Connection.objects.get(tenant=tx.tenant).rights["wage_counts"]["state"] == "missing"


def test_a_refused_right_shows_on_the_tripletex_card(world, tx):
    tx.fake.deny_rights(tx.token, {"path": "/timesheet/entry"})
    approve(tx, [tx.entry()])
    push_all(tx.tenant)
    html = world.client_for(world.alice, world.a).get(reverse("company_settings")).content.decode()
    assert 'data-testid="missing-rights"' in html and str(rights.BY_KEY["timesheet"].without) in html
