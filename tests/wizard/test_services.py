"""Seed 001's rules for the activation wizard, against the fake Tripletex over HTTP and a real database."""
import datetime as dt

import pytest
from django.db import connection as db
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from hr.models import Employee, Project, WageType
from integrations.models import Connection, ConnectionEvent, Link, SyncRecord, SyncRun
from integrations.services import connection_remove
from wizard import services
from wizard.models import Draft, Fetch, Item

pytestmark = pytest.mark.django_db


def check(world, token, capture, **kwargs):
    with capture(execute=True):
        return services.draft_check_token(tenant=world.a, by=world.alice, token=token, **kwargs)


def select_all(draft):
    for kind in ("project", "wage_type", "employee"):
        services.items_select(draft=draft, kind=kind, selected=True)


def finish(world, capture):
    draft = Draft.objects.get(tenant=world.a)
    with capture(execute=True):
        return services.draft_finish(tenant=world.a, by=world.alice, draft_id=draft.id, send_hours=services.SEND_ALL)


def item(kind, name_part):
    return Item.objects.get(kind=kind, name__contains=name_part)


# Step 1: the API-nøkkel


def test_token_made_for_another_application_says_the_name_must_be_gronnjobb_exactly(world, tx, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        with pytest.raises(services.WizardError) as exc:
            check(world, tx.demo["employee_tokens"]["Annen app"], django_capture_on_commit_callbacks)
        assert exc.value.code == "wrong_application"
        assert "«GrønnJobb»" in exc.value.message and "store og små bokstaver" in exc.value.message
        assert not Draft.objects.filter(tenant=world.a).exists()


def test_revoked_token_is_refused_and_nothing_is_stored(world, tx, company, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        token = tx.make_token(company["id"], "GrønnJobb")
        tx.revoke_token(token)
        with pytest.raises(services.WizardError) as exc:
            check(world, token, django_capture_on_commit_callbacks)
        assert exc.value.code == "revoked"
        assert not Draft.objects.filter(tenant=world.a).exists() and not Connection.objects.filter(tenant=world.a).exists()


@pytest.mark.parametrize("token,code", [("", "empty"), ("abc def ghi jkl mno", "malformed"), ("short", "malformed"),
                                        ("x" * 32, "unknown_token")])
def test_empty_malformed_and_unknown_tokens_have_their_own_messages(world, tx, token, code, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        with pytest.raises(services.WizardError) as exc:
            check(world, token, django_capture_on_commit_callbacks)
        assert exc.value.code == code
        assert not Draft.objects.filter(tenant=world.a).exists()


def test_unreachable_tripletex_says_try_again_later(world, tx, settings, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        settings.TRIPLETEX_BASE_URL = "http://127.0.0.1:9/v2"
        with pytest.raises(services.WizardError) as exc:
            check(world, tx.demo["employee_tokens"]["GrønnJobb"], django_capture_on_commit_callbacks)
        assert exc.value.code == "unreachable" and "prøv igjen" in exc.value.message


def test_valid_token_shows_company_and_user_and_starts_the_three_fetches(world, tx, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        draft = check(world, tx.demo["employee_tokens"]["GrønnJobb"], django_capture_on_commit_callbacks)
        assert draft.tripletex_company_name == "Demo AS" and draft.tripletex_employee_name
        assert set(Fetch.objects.filter(draft=draft).values_list("kind", "status")) == {
            ("project", "done"), ("wage_type", "done"), ("employee", "done")}
        assert not Connection.objects.filter(tenant=world.a, state="active").exists()


def test_the_token_page_never_shows_the_token(world, tx, django_capture_on_commit_callbacks):
    token = tx.demo["employee_tokens"]["GrønnJobb"]
    client = world.client_for(world.alice, world.a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("wizard:step", args=["api-nokkel"]), {"token": token}, follow=True)
    assert "Demo AS" in response.content.decode()
    assert token not in response.content.decode()


# Steps 2-4: the rules for what comes over


@pytest.fixture
def demo_draft(world, tx, django_capture_on_commit_callbacks):
    return check(world, tx.demo["employee_tokens"]["GrønnJobb"], django_capture_on_commit_callbacks)


def test_sub_project_is_skipped(demo_draft):
    with scope(tenant=demo_draft.tenant):
        assert item("project", "Delprosjekt 1").skip_reason.startswith("Underprosjekt")


def test_closed_project_is_skipped(demo_draft):
    with scope(tenant=demo_draft.tenant):
        assert Item.objects.get(kind="project", number="1008").skip_reason == "Avsluttet i Tripletex"


def test_project_without_start_date_is_skipped(demo_draft):
    with scope(tenant=demo_draft.tenant):
        assert Item.objects.get(kind="project", number="1011").skip_reason == "Mangler startdato i Tripletex"


def test_internal_project_is_taken(demo_draft):
    with scope(tenant=demo_draft.tenant):
        internal = item("project", "Internt: Opplæring")
        assert internal.action == "create" and internal.data["is_internal"] is True


def test_employee_without_last_name_is_skipped(demo_draft):
    with scope(tenant=demo_draft.tenant):
        skipped = Item.objects.filter(kind="employee", skip_reason="Mangler etternavn i Tripletex")
        assert skipped.exists() and all(not i.data["last_name"] for i in skipped)


def test_employee_who_left_is_skipped(demo_draft):
    with scope(tenant=demo_draft.tenant):
        assert Item.objects.filter(kind="employee", skip_reason__startswith="Har sluttet").exists()


def test_employee_without_employee_number_is_taken(demo_draft):
    with scope(tenant=demo_draft.tenant):
        assert Item.objects.filter(kind="employee", number="", action="create").exists()


def test_inactive_wage_type_and_wage_type_not_in_timesheet_are_skipped(demo_draft):
    with scope(tenant=demo_draft.tenant):
        reasons = set(Item.objects.filter(kind="wage_type", action="skip").values_list("skip_reason", flat=True))
        assert reasons == {"Inaktiv lønnsart", "Lønnsarten brukes ikke i timelister"}


def test_existing_project_with_same_number_is_updated_and_changes_are_listed(world, tx, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        Project.objects.create(tenant=world.a, number="1001", name="Gammelt navn", start_date="2023-01-01")
        check(world, tx.demo["employee_tokens"]["GrønnJobb"], django_capture_on_commit_callbacks)
        project = Item.objects.get(kind="project", number="1001")
        assert project.action == "update" and set(project.changes) == {"name"}
        assert project.change_list()[0][1:] == ("Gammelt navn", "Rehabilitering Storgata 12")


def test_skipped_items_cannot_be_selected(demo_draft):
    with scope(tenant=demo_draft.tenant):
        select_all(demo_draft)
        assert not Item.objects.filter(action="skip", selected=True).exists()


def test_search_and_select_all_matches_only_what_the_search_shows(demo_draft):
    with scope(tenant=demo_draft.tenant):
        n = services.items_select(draft=demo_draft, kind="project", selected=True, q="internt")
        assert n == 2
        assert set(Item.objects.filter(selected=True).values_list("name", flat=True)) == {
            "Internt: Opplæring", "Internt: Verktøy og utstyr"}


# Step 5: Ferdigstill


def test_nothing_is_active_and_nothing_written_before_ferdigstill(world, tx, demo_draft):
    with scope(tenant=world.a):
        assert not Connection.objects.filter(tenant=world.a, state="active").exists()
        assert not Project.objects.filter(tenant=world.a).exists()


def test_ferdigstill_must_be_clicked_and_works_with_nothing_selected(world, demo_draft, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        run = finish(world, django_capture_on_commit_callbacks)
        connection = Connection.objects.get(tenant=world.a)
        assert connection.state == "active" and connection.tripletex_company_name == "Demo AS"
        assert not Project.objects.filter(tenant=world.a).exists()
        assert run.records.filter(action="skipped", rule="Ikke valgt").exists()


def test_ferdigstill_creates_links_and_stores_the_token_encrypted(world, tx, demo_draft, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        select_all(demo_draft)
        chosen = Item.objects.filter(selected=True).count()
        run = finish(world, django_capture_on_commit_callbacks)
        assert Link.objects.filter(tenant=world.a).count() == chosen
        assert Project.objects.filter(tenant=world.a, number="1001").exists()
        assert Employee.objects.filter(tenant=world.a).count() + Project.objects.filter(tenant=world.a).count() + \
            WageType.objects.filter(tenant=world.a).count() == chosen
        token = tx.demo["employee_tokens"]["GrønnJobb"]
        connection = Connection.objects.get(tenant=world.a)
        assert connection.employee_token == token
        with db.cursor() as cursor:
            cursor.execute("SELECT employee_token FROM integrations_connection WHERE id = %s", [connection.id])
            raw = cursor.fetchone()[0]
        assert token not in raw and raw
        assert run.kind == SyncRun.Kind.ACTIVATION and run.records.filter(action="created").count() == chosen
        assert ConnectionEvent.objects.filter(tenant=world.a, action="connected", by=world.alice).exists()
        assert not Draft.objects.filter(tenant=world.a).exists()


def test_the_wizard_writes_nothing_to_tripletex(world, tx, company, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        tx.clear_calls()
        draft = check(world, company["employee_tokens"]["GrønnJobb"], django_capture_on_commit_callbacks)
        select_all(draft)
        finish(world, django_capture_on_commit_callbacks)
        calls = tx.calls(company_id=company["id"])
        writes = {k: v for k, v in calls.items() if not k.startswith("GET ") and "token/session" not in k}
        assert calls and writes == {}


def test_a_second_ferdigstill_of_the_same_draft_applies_nothing_twice(world, demo_draft, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        select_all(demo_draft)
        finish(world, django_capture_on_commit_callbacks)
        projects = Project.objects.filter(tenant=world.a).count()
        with pytest.raises(services.AlreadyFinished):
            with django_capture_on_commit_callbacks(execute=True):
                services.draft_finish(tenant=world.a, by=world.alice, draft_id=demo_draft.id, send_hours=services.SEND_ALL)
        assert Project.objects.filter(tenant=world.a).count() == projects


def test_leaving_early_keeps_the_old_connection_working(world, tx, company, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        check(world, company["employee_tokens"]["GrønnJobb"], django_capture_on_commit_callbacks)
        finish(world, django_capture_on_commit_callbacks)
        before = Connection.objects.get(tenant=world.a)
        check(world, tx.make_token(company["id"], "GrønnJobb"), django_capture_on_commit_callbacks)
        services.draft_cancel(tenant=world.a)
        after = Connection.objects.get(tenant=world.a)
        assert after.state == "active" and after.employee_token == before.employee_token


# Refresh, removal, reconnection


def test_refresh_preselects_earlier_choices_and_flags_what_disappeared(world, tx, company, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        draft = check(world, company["employee_tokens"]["GrønnJobb"], django_capture_on_commit_callbacks)
        services.items_select(draft=draft, kind="project", selected=True)
        finish(world, django_capture_on_commit_callbacks)
        projects = tx.objects(company["id"], "project")
        gone = projects[0]
        tx.change(company["id"], "project", gone["id"], delete=True)

        draft = check(world, "", django_capture_on_commit_callbacks, keep_stored=True)
        chosen_before = set(Link.objects.filter(tenant=world.a, kind="project").values_list("tripletex_id", flat=True))
        assert set(Item.objects.filter(kind="project", selected=True).values_list("tripletex_id", flat=True)) == chosen_before - {gone["id"]}
        run = finish(world, django_capture_on_commit_callbacks)
        assert run.kind == SyncRun.Kind.REFRESH
        assert Link.objects.get(tenant=world.a, kind="project", tripletex_id=gone["id"]).missing_since is not None


def test_remove_stops_transfers_deletes_token_and_keeps_links(world, company, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        draft = check(world, company["employee_tokens"]["GrønnJobb"], django_capture_on_commit_callbacks)
        select_all(draft)
        finish(world, django_capture_on_commit_callbacks)
        links = Link.objects.filter(tenant=world.a).count()
        connection_remove(tenant=world.a, by=world.alice)
        connection = Connection.objects.get(tenant=world.a)
        assert connection.state == "removed" and connection.employee_token == ""
        assert Link.objects.filter(tenant=world.a).count() == links
        assert ConnectionEvent.objects.filter(tenant=world.a, action="removed", by=world.alice).exists()


def test_reconnecting_to_the_same_company_reuses_links_without_duplicates(world, tx, company, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        draft = check(world, company["employee_tokens"]["GrønnJobb"], django_capture_on_commit_callbacks)
        select_all(draft)
        finish(world, django_capture_on_commit_callbacks)
        counts = (Project.objects.count(), Employee.objects.count(), Link.objects.count())
        connection_remove(tenant=world.a, by=world.alice)

        draft = check(world, tx.make_token(company["id"], "GrønnJobb"), django_capture_on_commit_callbacks)
        assert not Item.objects.filter(draft=draft, action="create").exists()
        select_all(draft)
        finish(world, django_capture_on_commit_callbacks)
        assert (Project.objects.count(), Employee.objects.count(), Link.objects.count()) == counts


def test_token_for_another_tripletex_company_warns_before_anything_is_mixed(world, tx, company, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        draft = check(world, company["employee_tokens"]["GrønnJobb"], django_capture_on_commit_callbacks)
        finish(world, django_capture_on_commit_callbacks)
        other = tx.create_company("Annet firma AS", employees=2, projects=2, wage_types=1)
        with pytest.raises(services.OtherCompany):
            check(world, other["employee_tokens"]["GrønnJobb"], django_capture_on_commit_callbacks)
        assert not Draft.objects.filter(tenant=world.a).exists()
        assert Connection.objects.get(tenant=world.a).tripletex_company_id == company["id"]
        draft = check(world, other["employee_tokens"]["GrønnJobb"], django_capture_on_commit_callbacks, confirm_other_company=True)
        assert draft.tripletex_company_id == other["id"]


def test_sync_log_tells_why_a_project_did_not_come_over(world, demo_draft, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        run = finish(world, django_capture_on_commit_callbacks)
        record = SyncRecord.objects.get(run=run, object_kind="project", label__startswith="1008")
        assert record.action == "skipped" and record.rule == "Avsluttet i Tripletex"
        page = world.client_for(world.alice, world.a).get(reverse("wizard:run_log", args=[run.id]), {"handling": "skipped"})
        assert "Avsluttet i Tripletex" in page.content.decode()


def test_only_a_tenant_admin_can_open_the_wizard(world, hr_a):
    client = world.client_for(world.carol, world.a)
    for url in (reverse("wizard:start"), reverse("wizard:step", args=["api-nokkel"]), reverse("wizard:remove")):
        assert client.get(url).status_code == 403
    assert "Koble til Tripletex" not in client.get(reverse("hr:timesheet")).content.decode()


def test_an_empty_field_in_tripletex_does_not_blank_ours(world, tx, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        # Sara has no employee number in the demo Tripletex company, but has one here.
        Employee.objects.create(tenant=world.a, first_name="Sara", last_name="E.", email="sara@demo.no", employee_number="1006")
        draft = check(world, tx.demo["employee_tokens"]["GrønnJobb"], django_capture_on_commit_callbacks)
        sara = Item.objects.get(draft=draft, kind="employee", data__email="sara@demo.no")
        assert sara.action == "update" and set(sara.changes) == {"last_name"}
        select_all(draft)
        finish(world, django_capture_on_commit_callbacks)
        assert Employee.objects.get(tenant=world.a, email="sara@demo.no").employee_number == "1006"
        assert Employee.objects.get(tenant=world.a, email="sara@demo.no").last_name == "Eriksen"


def test_objects_that_already_exist_here_are_preselected_and_new_ones_are_not(world, tx, django_capture_on_commit_callbacks):
    with scope(tenant=world.a):
        Employee.objects.create(tenant=world.a, first_name="Kari", last_name="Hansen", email="kari@demo.no")
        draft = check(world, tx.demo["employee_tokens"]["GrønnJobb"], django_capture_on_commit_callbacks)
        selected = Item.objects.filter(draft=draft, selected=True)
        assert list(selected.values_list("data__email", flat=True)) == ["kari@demo.no"]


def test_an_abandoned_wizard_and_its_key_are_deleted_after_the_set_days(world, tx, demo_draft):
    with scope(tenant=world.a):
        from wizard.tasks import wizard_expire_drafts

        wizard_expire_drafts()
        assert Draft.objects.filter(id=demo_draft.id).exists()
        Draft.objects.filter(id=demo_draft.id).update(updated_at=timezone.now() - dt.timedelta(days=8))
        wizard_expire_drafts()
        assert not Draft.objects.filter(id=demo_draft.id).exists() and not Item.objects.filter(draft_id=demo_draft.id).exists()
        assert not Connection.objects.filter(tenant=world.a, state="active").exists()
