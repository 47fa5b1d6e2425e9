"""“Endret i Tripletex” for a company that uses only the wizard, and the nightly schedule that looks for it.

The company is connected through the real wizard (Ferdigstill makes the links), then Tripletex is
changed as its users would change it.
"""
import datetime as dt
import uuid
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from config import celery_app
from hr.models import Employee, Project, WageType
from integrations import tasks
from integrations.connectors import remote_changes
from integrations.connectors.schedule import nightly_runs_request, nightly_slot
from integrations.models import Connection, ConnectorConfig, Link, RemoteChange, SyncRun
from tests.factories import ProjectFactory
from wizard import services as wizard
from wizard.models import Draft

C, S = RemoteChange.Change, RemoteChange.State


@dataclass
class Wizarded:
    fake: object
    tenant: object
    company_id: int
    admin: object

    def collect(self) -> SyncRun:
        """The nightly task, run here: it enters the company's scope itself."""
        run = SyncRun.objects.create(tenant=self.tenant, kind=SyncRun.Kind.CONNECTOR, connector=remote_changes.NAME,
                                     trigger=SyncRun.Trigger.SCHEDULE)
        tasks.remote_changes_collect(run_id=run.id)
        run.refresh_from_db()
        return run

    def objects(self, kind: str) -> list[dict]:
        return self.fake.objects(self.company_id, kind)

    def change(self, kind: str, tripletex_id: int, **fields) -> dict:
        return self.fake.change(self.company_id, kind, tripletex_id, **fields)

    def pending(self, **filters) -> list[RemoteChange]:
        with scope(tenant=self.tenant):
            return list(RemoteChange.objects.filter(tenant=self.tenant, state=S.PENDING, **filters))

    def one(self, tripletex_id: int) -> RemoteChange:
        (change,) = self.pending(tripletex_id=tripletex_id)
        return change

    def row(self, kind: str, tripletex_id: int):
        with scope(tenant=self.tenant):
            link = Link.objects.get(tenant=self.tenant, tripletex_company_id=self.company_id, kind=kind,
                                    tripletex_id=tripletex_id)
            model = {"project": Project, "employee": Employee, "wage_type": WageType}[kind]
            return model.objects.get(id=link.local_id)

    def accept(self, *changes: RemoteChange) -> SyncRun:
        """As the admin's click on the card does, in the company's scope."""
        with scope(tenant=self.tenant):
            return remote_changes.remote_changes_accept(tenant=self.tenant, by=self.admin,
                                                        ids=[c.id for c in changes] if changes else None)


@pytest.fixture
def wizarded(world, fake_tripletex, settings, django_capture_on_commit_callbacks) -> Wizarded:
    """Company A after the wizard took everything in its Tripletex company except the last project."""
    settings.TRIPLETEX_BASE_URL = fake_tripletex.base_url
    settings.TRIPLETEX_CONSUMER_TOKEN = fake_tripletex.consumer_token
    info = fake_tripletex.create_company(f"Veiviser {uuid.uuid4().hex[:6]} AS", applications=["GrønnJobb"],
                                         employees=4, projects=4, wage_types=6)
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            draft = wizard.draft_check_token(tenant=world.a, by=world.alice, token=info["employee_tokens"]["GrønnJobb"])
        for kind in ("project", "wage_type", "employee"):
            wizard.items_select(draft=draft, kind=kind, selected=True)
        unchosen = fake_tripletex.objects(info["id"], "project")[-1]["id"]
        wizard.items_select(draft=draft, kind="project", selected=False,
                            ids=list(draft.items.filter(tripletex_id=unchosen).values_list("id", flat=True)))
        with django_capture_on_commit_callbacks(execute=True):
            wizard.draft_finish(tenant=world.a, by=world.alice, draft_id=Draft.objects.get(tenant=world.a).id,
                                send_hours=wizard.SEND_ALL)
    finally:
        celery_app.conf.task_always_eager = False
    return Wizarded(fake=fake_tripletex, tenant=world.a, company_id=info["id"], admin=world.alice)


def _new_project(w: Wizarded, **fields) -> dict:
    manager = w.objects("employee")[0]["id"]
    return w.fake.change(w.company_id, "project", **{"name": "Nytt bygg", "startDate": "2026-03-01",
                                                      "projectManager": {"id": manager}, **fields})


def test_nothing_changes_here_until_the_admin_accepts(wizarded):
    project = wizarded.objects("project")[0]
    wizarded.change("project", project["id"], name="Nytt navn i Tripletex")

    run = wizarded.collect()

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert wizarded.row("project", project["id"]).name == project["name"]
    change = wizarded.one(project["id"])
    assert (change.change, change.diff) == (C.CHANGED, {"name": [project["name"], "Nytt navn i Tripletex"]})
    assert "Nytt navn i Tripletex" in remote_changes.outcome(change)


def test_accepting_a_changed_project_updates_ours(wizarded):
    project = wizarded.objects("project")[0]
    changed = wizarded.change("project", project["id"], name="Nytt navn i Tripletex")
    wizarded.collect()

    wizarded.accept(wizarded.one(project["id"]))

    assert wizarded.row("project", project["id"]).name == "Nytt navn i Tripletex"
    with scope(tenant=wizarded.tenant):
        link = Link.objects.get(tenant=wizarded.tenant, kind="project", tripletex_id=project["id"])
    assert link.tripletex_version == changed["version"]
    assert wizarded.pending() == []
    assert wizarded.collect().summary["changes"]["project"] == {}


def test_project_created_in_tripletex_is_offered_and_accepting_creates_and_links_it(wizarded):
    new = _new_project(wizarded, number="7001")
    wizarded.collect()
    change = wizarded.one(new["id"])
    assert (change.change, remote_changes.outcome(change)) == (C.NEW, "Opprettes her.")

    wizarded.accept(change)

    ours = wizarded.row("project", new["id"])
    assert (ours.number, ours.name, ours.start_date) == ("7001", "Nytt bygg", dt.date(2026, 3, 1))


def test_project_new_in_tripletex_with_our_number_is_linked_to_ours_on_accept(wizarded):
    with scopes_disabled():
        ours = ProjectFactory(tenant=wizarded.tenant, number="7002", name="Vårt navn")
    new = _new_project(wizarded, number="7002")
    wizarded.collect()
    change = wizarded.one(new["id"])
    assert change.local_id == ours.id and "Kobles til" in remote_changes.outcome(change)

    wizarded.accept(change)

    assert wizarded.row("project", new["id"]) == ours
    with scope(tenant=wizarded.tenant):
        assert Project.objects.filter(tenant=wizarded.tenant, number="7002").count() == 1


def test_project_the_admin_left_unchosen_in_the_wizard_is_not_offered(wizarded):
    unchosen = wizarded.objects("project")[-1]

    wizarded.collect()

    assert wizarded.pending(tripletex_id=unchosen["id"]) == []


def test_project_closed_in_tripletex_is_offered_and_accepting_completes_ours(wizarded):
    project = wizarded.objects("project")[1]
    wizarded.change("project", project["id"], isClosed=True, endDate="2026-06-30")
    wizarded.collect()
    change = wizarded.one(project["id"])
    assert change.change == C.CLOSED

    wizarded.accept(change)

    ours = wizarded.row("project", project["id"])
    assert (ours.status, ours.end_date) == (Project.Status.COMPLETED, dt.date(2026, 6, 30))


def test_project_deleted_in_tripletex_is_offered_and_accepting_completes_and_flags_ours(wizarded):
    project = wizarded.objects("project")[2]
    wizarded.fake.change(wizarded.company_id, "project", project["id"], delete=True)
    wizarded.collect()
    change = wizarded.one(project["id"])
    assert change.change == C.DELETED

    wizarded.accept(change)

    assert wizarded.row("project", project["id"]).status == Project.Status.COMPLETED
    with scope(tenant=wizarded.tenant):
        assert Link.objects.get(tenant=wizarded.tenant, kind="project", tripletex_id=project["id"]).missing_since


def test_employee_who_left_in_tripletex_is_offered_and_accepting_makes_ours_inactive(wizarded):
    employee = wizarded.objects("employee")[1]
    employment = next(e for e in wizarded.objects("employment") if e["employee"]["id"] == employee["id"])
    wizarded.change("employment", employment["id"], endDate="2025-12-31")
    wizarded.collect()
    change = wizarded.one(employee["id"])
    assert change.change == C.CLOSED

    wizarded.accept(change)

    assert wizarded.row("employee", employee["id"]).active is False


def test_wage_type_made_inactive_in_tripletex_is_offered_and_accepting_makes_ours_inactive(wizarded):
    with scope(tenant=wizarded.tenant):
        linked = set(Link.objects.filter(tenant=wizarded.tenant, kind="wage_type").values_list("tripletex_id",
                                                                                              flat=True))
    wage = next(w for w in wizarded.objects("salary_type") if w["id"] in linked)
    wizarded.change("salary_type", wage["id"], isInactive=True)
    wizarded.collect()

    wizarded.accept(wizarded.one(wage["id"]))

    assert wizarded.row("wage_type", wage["id"]).active is False


def test_one_pending_change_per_object_with_the_latest_values(wizarded):
    project = wizarded.objects("project")[0]
    wizarded.change("project", project["id"], name="Første")
    wizarded.collect()
    latest = wizarded.change("project", project["id"], name="Andre")

    wizarded.collect()

    change = wizarded.one(project["id"])
    assert (change.data["name"], change.tripletex_version) == ("Andre", latest["version"])


def test_a_change_no_longer_true_in_tripletex_is_withdrawn(wizarded):
    project = wizarded.objects("project")[0]
    wizarded.change("project", project["id"], name="Midlertidig")
    wizarded.collect()
    wizarded.change("project", project["id"], name=project["name"])

    wizarded.collect()

    assert wizarded.pending(tripletex_id=project["id"]) == []


def test_a_dismissed_change_comes_back_only_when_changed_again(wizarded):
    project = wizarded.objects("project")[0]
    wizarded.change("project", project["id"], name="Avvist navn")
    wizarded.collect()
    with scope(tenant=wizarded.tenant):
        assert remote_changes.remote_change_dismiss(tenant=wizarded.tenant, change_id=wizarded.one(project["id"]).id,
                                                    by=wizarded.admin)

    wizarded.collect()
    assert wizarded.pending(tripletex_id=project["id"]) == []
    wizarded.change("project", project["id"], name="Endret igjen")
    wizarded.collect()

    assert wizarded.one(project["id"]).data["name"] == "Endret igjen"
    assert wizarded.row("project", project["id"]).name == project["name"]


def test_accept_all_applies_every_pending_change(wizarded):
    first, second = wizarded.objects("project")[:2]
    wizarded.change("project", first["id"], name="Alle 1")
    wizarded.change("project", second["id"], isClosed=True)
    new = _new_project(wizarded, number="7003")
    wizarded.collect()

    run = wizarded.accept()

    with scope(tenant=wizarded.tenant):
        assert run.records.count() == 3
    assert wizarded.pending() == []
    assert wizarded.row("project", first["id"]).name == "Alle 1"
    assert wizarded.row("project", second["id"]).status == Project.Status.COMPLETED
    assert wizarded.row("project", new["id"]).number == "7003"


def test_accepting_without_an_active_connection_is_refused_and_changes_nothing(wizarded):
    project = wizarded.objects("project")[0]
    wizarded.change("project", project["id"], name="Etter frakobling")
    wizarded.collect()
    with scope(tenant=wizarded.tenant):
        Connection.objects.filter(tenant=wizarded.tenant).update(state=Connection.State.REMOVED)

    with pytest.raises(remote_changes.NotConnected):
        wizarded.accept()

    assert wizarded.row("project", project["id"]).name == project["name"]


def test_the_tripletex_card_lists_the_changes_with_what_accepting_does(wizarded, world):
    first, second = wizarded.objects("project")[:2]
    wizarded.change("project", first["id"], name="Kortnavn")
    wizarded.change("project", second["id"], isClosed=True)
    wizarded.collect()

    page = world.client_for(world.alice, world.a).get(reverse("company_settings")).content.decode()

    assert "2 endringer i Tripletex siden sist" in page
    assert "Kortnavn" in page and "Settes til fullført her." in page
    assert "Godta alle" in page


def test_admin_accepts_and_dismisses_from_the_card(wizarded, world):
    first, second = wizarded.objects("project")[:2]
    wizarded.change("project", first["id"], name="Godtatt fra kortet")
    wizarded.change("project", second["id"], name="Avvist fra kortet")
    wizarded.collect()
    client = world.client_for(world.alice, world.a)

    accepted = client.post(reverse("integrations:remote_change_accept", args=[wizarded.one(first["id"]).id]))
    dismissed = client.post(reverse("integrations:remote_change_dismiss", args=[wizarded.one(second["id"]).id]))

    assert accepted.status_code == dismissed.status_code == 302
    assert wizarded.row("project", first["id"]).name == "Godtatt fra kortet"
    assert wizarded.row("project", second["id"]).name == second["name"]
    with scopes_disabled():
        assert RemoteChange.objects.get(tripletex_id=second["id"]).state == S.DISMISSED


def test_only_an_admin_can_accept_changes(wizarded, world):
    project = wizarded.objects("project")[0]
    wizarded.change("project", project["id"], name="Ikke for ansatte")
    wizarded.collect()

    response = world.client_for(world.carol, world.a).post(reverse("integrations:remote_changes_accept_all"))

    assert response.status_code == 403
    assert wizarded.one(project["id"]).state == S.PENDING


# --- the nightly schedule ------------------------------------------------------------------------------

def _at(tenant, minutes_after_slot: int) -> dt.datetime:
    today = timezone.localdate()
    slot = dt.datetime.combine(today, nightly_slot(tenant.id), tzinfo=timezone.get_current_timezone())
    return slot + dt.timedelta(minutes=minutes_after_slot)


def _connected(tenant, *, two_way: bool) -> None:
    Connection.objects.create(tenant=tenant, state=Connection.State.ACTIVE, employee_token="t", tripletex_company_id=1)
    ConnectorConfig.objects.create(tenant=tenant, name="master_data", enabled=two_way)


def test_nightly_slot_is_between_one_and_five_and_the_same_every_night(world):
    slots = {nightly_slot(tenant_id) for tenant_id in range(1, 500)}

    assert min(slots) >= dt.time(1, 0) and max(slots) < dt.time(5, 0)
    assert len({s.hour for s in slots}) == 4
    assert nightly_slot(world.a.id) == nightly_slot(world.a.id)


def test_nightly_reconcile_starts_once_the_companys_time_has_come_and_once_a_day(world):
    _connected(world.a, two_way=True)

    assert nightly_runs_request(now=_at(world.a, -1)) == []
    (run,) = nightly_runs_request(now=_at(world.a, 1))
    assert (run.connector, run.trigger) == ("master_data", SyncRun.Trigger.SCHEDULE)
    assert nightly_runs_request(now=_at(world.a, 30)) == []


def test_a_company_using_only_the_wizard_gets_the_look_for_changes_instead(world):
    _connected(world.a, two_way=False)

    (run,) = nightly_runs_request(now=_at(world.a, 1))

    assert run.connector == remote_changes.NAME


def test_a_company_without_an_active_connection_gets_no_nightly_run(world):
    _connected(world.a, two_way=True)
    with scope(tenant=world.a):
        Connection.objects.filter(tenant=world.a).update(state=Connection.State.REMOVED)

    assert nightly_runs_request(now=_at(world.a, 1)) == []


def test_a_dismissed_deletion_of_an_object_without_a_known_version_stays_dismissed(wizarded):
    project = wizarded.objects("project")[2]
    with scope(tenant=wizarded.tenant):
        Link.objects.filter(tenant=wizarded.tenant, kind="project", tripletex_id=project["id"]).update(
            tripletex_version=None)
    wizarded.fake.change(wizarded.company_id, "project", project["id"], delete=True)
    wizarded.collect()
    with scope(tenant=wizarded.tenant):
        remote_changes.remote_change_dismiss(tenant=wizarded.tenant, change_id=wizarded.one(project["id"]).id,
                                             by=wizarded.admin)

    wizarded.collect()

    assert wizarded.pending(tripletex_id=project["id"]) == []
