"""The Tripletex side through the API: the connection's status, sync runs and their records, hour transfers,
and the two buttons a script may press, "Synkroniser nå" and "Prøv igjen"."""
import datetime as dt

import pytest
from django_scopes import scope

from integrations.models import Connection, HourSlot, HourTransfer, OutboundChange, SyncRecord, SyncRun
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def failed_transfer(tenant, entry, **fields) -> HourTransfer:
    slot = HourSlot.objects.create(tenant=tenant, kind=HourSlot.Kind.ENTRY, employee_id=entry.employee_id,
                                   date=entry.date, project_id=entry.project_id, activity_id=entry.activity_id)
    values = {"state": HourTransfer.State.FAILED, "message": "Tripletex sa nei", "attempts": 8, **fields}
    return HourTransfer.objects.create(tenant=tenant, entry=entry, local_entry_id=entry.id, slot=slot,
                                       hours=entry.hours, **values)


def test_connection_status_shows_state_and_hours_but_never_the_token(world, api_a, two_way):
    body = api_a.get("/api/v1/connection/").json()
    assert body["state"] == "active" and body["tripletex_company_name"] == "Alfa i Tripletex"
    assert set(body["hours"]) >= {"waiting", "sent", "failed", "locked", "held"}
    assert "alfa-token" not in str(body) and "token" not in str(body)


def test_a_company_never_connected_is_new(world, api_a):
    assert api_a.get("/api/v1/connection/").json()["state"] == Connection.State.NEW


def test_sync_runs_and_their_records_are_listed(world, api_a):
    run = SyncRun.objects.create(tenant=world.a, kind=SyncRun.Kind.CONNECTOR, connector="master_data",
                                 trigger=SyncRun.Trigger.MANUAL, status=SyncRun.Status.PARTIAL)
    SyncRecord.objects.create(tenant=world.a, run=run, object_kind="project", action="skipped",
                              rule="Mangler startdato i Tripletex", label="1001 Bygg")
    other = SyncRun.objects.create(tenant=world.a, kind=SyncRun.Kind.HOURS)
    SyncRecord.objects.create(tenant=world.a, run=other, object_kind="hours", action="created")
    assert [r["id"] for r in api_a.get("/api/v1/sync-runs/", {"kind": "connector"}).json()["results"]] == [run.id]
    [record] = api_a.get("/api/v1/sync-records/", {"run": run.id}).json()["results"]
    assert (record["label"], record["action"], record["can_retry"]) == ("1001 Bygg", "skipped", False)
    english = api_a.get(f"/api/v1/sync-records/{record['id']}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["rule"] == "No start date in Tripletex"


def test_prov_igjen_on_a_failed_change_to_tripletex_puts_it_back_in_the_queue(world, api_a, two_way):
    project = ProjectFactory(tenant=world.a)
    change = OutboundChange.objects.create(tenant=world.a, kind="project", local_id=project.id, attempts=6,
                                           state=OutboundChange.State.FAILED, message="Tripletex sa nei")
    run = SyncRun.objects.create(tenant=world.a, kind=SyncRun.Kind.CONNECTOR, connector="master_data")
    failed = SyncRecord.objects.create(tenant=world.a, run=run, object_kind="project", action="failed",
                                       direction="out", local_id=project.id)
    response = api_a.post(f"/api/v1/sync-records/{failed.id}/retry/")
    assert response.status_code == 202 and response.json()["id"] == failed.id
    change.refresh_from_db()
    assert (change.state, change.attempts) == (OutboundChange.State.PENDING, 0)


def test_prov_igjen_on_a_record_that_did_not_fail_is_a_409_saying_why(world, api_a, two_way):
    run = SyncRun.objects.create(tenant=world.a, kind=SyncRun.Kind.CONNECTOR, connector="master_data")
    done = SyncRecord.objects.create(tenant=world.a, run=run, object_kind="project", action="created", direction="out",
                                     local_id=1)
    response = api_a.post(f"/api/v1/sync-records/{done.id}/retry/")
    assert response.status_code == 409
    assert response.json() == {"detail": "Bare rader som feilet i en integrasjon kan prøves igjen."}


def test_synkroniser_na_queues_a_run(world, api_a, two_way):
    with scope(tenant=world.a):
        response = api_a.post("/api/v1/connectors/master_data/sync/")
        assert response.status_code == 202
        run = SyncRun.objects.get(id=response.json()["id"], tenant=world.a)
        assert (run.connector, run.trigger, run.started_by) == ("master_data", "manual", world.alice)
        listed = {c["name"]: c for c in api_a.get("/api/v1/connectors/").json()}
        assert listed["master_data"]["enabled"] and listed["master_data"]["running"]
        assert listed["master_data"]["last_run"]["id"] == run.id


def test_synkroniser_na_while_one_runs_is_a_409(world, api_a, two_way):
    with scope(tenant=world.a):
        api_a.post("/api/v1/connectors/master_data/sync/")
        response = api_a.post("/api/v1/connectors/master_data/sync/")
        assert response.status_code == 409 and response.json() == {"detail": "En synkronisering pågår allerede."}
        assert SyncRun.objects.filter(tenant=world.a).count() == 1


def test_synkroniser_na_is_refused_while_tripletex_is_not_connected_or_the_connector_is_off(world, api_a, two_way):
    with scope(tenant=world.a):
        two_way.enabled = False
        two_way.save()
        assert api_a.post("/api/v1/connectors/master_data/sync/").status_code == 409
        Connection.objects.filter(tenant=world.a).update(state=Connection.State.REMOVED)
        assert api_a.post("/api/v1/connectors/master_data/sync/").status_code == 409
        assert api_a.post("/api/v1/connectors/no-such-thing/sync/").status_code == 404
        assert not SyncRun.objects.filter(tenant=world.a).exists()


def test_hour_transfers_are_listed_with_their_state_and_tripletexs_message(world, api_a, hr_a):
    transfer = failed_transfer(world.a, hr_a["entry"])
    [listed] = api_a.get("/api/v1/hour-transfers/", {"state": "failed"}).json()["results"]
    assert (listed["id"], listed["entry"], listed["message"]) == (transfer.id, hr_a["entry"].id, "Tripletex sa nei")
    assert api_a.get("/api/v1/hour-transfers/", {"state": "sent"}).json()["results"] == []


def test_prov_igjen_on_failed_hours_queues_them_again(world, api_a, hr_a):
    transfer = failed_transfer(world.a, hr_a["entry"])
    response = api_a.post("/api/v1/hour-transfers/retry/", {"ids": [transfer.id]}, format="json")
    assert response.json() == {"count": 1}
    transfer.refresh_from_db()
    assert (transfer.state, transfer.attempts) == (HourTransfer.State.PENDING, 0)


def test_export_of_hours_needs_a_connection_and_a_sane_period(world, api_a, two_way):
    with scope(tenant=world.a):
        backwards = api_a.post("/api/v1/hour-transfers/export/", {"date_from": "2026-11-30", "date_to": "2026-11-01"},
                               format="json")
        assert backwards.status_code == 400
        assert backwards.json() == {"non_field_errors": ["Fra-datoen må være før til-datoen."]}
        response = api_a.post("/api/v1/hour-transfers/export/", {"date_from": "2026-11-01", "date_to": "2026-11-30"},
                              format="json")
        assert response.status_code == 202
        run = SyncRun.objects.get(id=response.json()["id"])
        assert run.kind == SyncRun.Kind.HOURS_EXPORT and run.summary["date_from"] == dt.date(2026, 11, 1).isoformat()
        Connection.objects.filter(tenant=world.a).update(state=Connection.State.REMOVED)
        response = api_a.post("/api/v1/hour-transfers/export/", {"date_from": "2026-11-01", "date_to": "2026-11-30"},
                              format="json")
        assert response.status_code == 409
