"""The connector platform: the outbox of local changes, runs and their watermark, and the on/off rules.

Test connectors stand in for real ones so the platform's own rules are tested apart from any seed's.
"""
import dataclasses

import pytest
from django.db import transaction
from django_scopes import scope, scopes_disabled

from integrations.connectors import registry, runner
from integrations.connectors.base import Connector
from integrations.connectors.services import (
    connector_disable, connector_enable, connector_run_request, local_change_record,
)
from integrations.models import Connection, ConnectorConfig, Link, OutboundChange, SyncRecord, SyncRun
from integrations.services import connection_remove
from integrations.tripletex import ValidationFailed
from tests.factories import ProjectFactory

KIND = Link.Kind.PROJECT


@dataclasses.dataclass
class Calls:
    local: list = dataclasses.field(default_factory=list)
    reconciles: int = 0


@pytest.fixture
def probe(fake_tripletex):
    """A connector owning projects whose handlers read Tripletex once and log what they were given."""
    calls = Calls()

    def handle_local_change(ctx, change):
        ctx.client.who_am_i()
        calls.local.append((change.local_id, change.op))
        ctx.record(kind=change.kind, action=SyncRecord.Action.UPDATED, direction="out", local_id=change.local_id)

    def reconcile(ctx):
        ctx.client.who_am_i()
        calls.reconciles += 1
        ctx.record(kind=KIND, action=SyncRecord.Action.UNCHANGED, direction="in", tripletex_id=1)
        if ctx.options.get("fail"):
            raise ValidationFailed(422, 15000, "Validering feilet.", request_id="req-1", permanent=True)

    connector = Connector(name="probe", title="Probe", description="For tests.", kinds=(KIND,),
                          handle_local_change=handle_local_change, reconcile=reconcile)
    registry.register(connector)
    yield calls
    registry._CONNECTORS.pop("probe", None)


@pytest.fixture
def connected(world, fake_tripletex, settings):
    settings.TRIPLETEX_BASE_URL = fake_tripletex.base_url
    settings.TRIPLETEX_CONSUMER_TOKEN = fake_tripletex.consumer_token
    info = fake_tripletex.create_company("Plattform AS", applications=["GrønnJobb"])
    return Connection.objects.create(
        tenant=world.a, state=Connection.State.ACTIVE, employee_token=info["employee_tokens"]["GrønnJobb"],
        tripletex_company_id=info["id"], tripletex_company_name="Plattform AS",
    )


@scopes_disabled()
def _enable(tenant, name="probe", **options):
    ConnectorConfig.objects.update_or_create(tenant=tenant, name=name, defaults={"enabled": True, "options": options})


def _record(tenant, local_id, op=OutboundChange.Op.UPSERT):
    with scope(tenant=tenant), transaction.atomic():
        return local_change_record(tenant=tenant, kind=KIND, local_id=local_id, op=op)


def _push(tenant):
    with scope(tenant=tenant):
        return runner.outbound_changes_push(tenant=tenant)


def test_nothing_is_queued_while_no_connector_that_owns_the_kind_is_on(world, connected, probe):
    project = ProjectFactory(tenant=world.a)
    assert _record(world.a, project.id) is None
    with scope(tenant=world.a):
        assert OutboundChange.objects.count() == 0


def test_nothing_is_queued_while_the_connection_is_not_active(world, connected, probe):
    _enable(world.a)
    connected.state = Connection.State.REMOVED
    connected.save()
    assert _record(world.a, ProjectFactory(tenant=world.a).id) is None


def test_quick_successive_changes_to_one_row_are_sent_once_in_their_latest_state(world, connected, probe):
    _enable(world.a)
    project = ProjectFactory(tenant=world.a)
    _record(world.a, project.id)
    _record(world.a, project.id)
    _record(world.a, project.id, op=OutboundChange.Op.DELETE)
    with scope(tenant=world.a):
        assert OutboundChange.objects.filter(state=OutboundChange.State.PENDING).count() == 1
    outcome = _push(world.a)
    assert outcome.sent == 1
    assert probe.local == [(project.id, OutboundChange.Op.DELETE)]
    with scope(tenant=world.a):
        change = OutboundChange.objects.get()
        assert change.state == OutboundChange.State.DONE
        run = SyncRun.objects.get(connector="probe")
        assert run.trigger == SyncRun.Trigger.LOCAL_CHANGE and run.status == SyncRun.Status.SUCCEEDED


def test_a_change_processed_twice_is_sent_once(world, connected, probe):
    _enable(world.a)
    _record(world.a, ProjectFactory(tenant=world.a).id)
    _push(world.a)
    _push(world.a)
    assert len(probe.local) == 1


def test_changes_are_not_sent_after_the_integration_is_removed(world, connected, probe):
    _enable(world.a)
    _record(world.a, ProjectFactory(tenant=world.a).id)
    with scope(tenant=world.a):
        connection_remove(tenant=world.a, by=world.alice)
    _push(world.a)
    assert probe.local == []
    # It stays queued: a later "Koble til Tripletex" sends it.
    with scope(tenant=world.a):
        assert OutboundChange.objects.get().state == OutboundChange.State.PENDING


def test_a_permanent_refusal_stops_at_failed_with_tripletex_message(world, connected, fake_tripletex):
    def refuse(ctx, change):
        raise ValidationFailed(422, 15000, "Prosjektnummeret er i bruk.", request_id="req-9", permanent=True)

    registry.register(Connector(name="refuser", title="R", description="", kinds=(KIND,), handle_local_change=refuse))
    try:
        _enable(world.a, name="refuser")
        _record(world.a, ProjectFactory(tenant=world.a).id)
        _push(world.a)
    finally:
        registry._CONNECTORS.pop("refuser", None)
    with scope(tenant=world.a):
        change = OutboundChange.objects.get()
        assert change.state == OutboundChange.State.FAILED
        assert change.message == "Prosjektnummeret er i bruk." and change.request_id == "req-9"
        record = SyncRecord.objects.get(action=SyncRecord.Action.FAILED)
        assert record.request_id == "req-9" and record.direction == "out"
        assert SyncRun.objects.get(connector="refuser").status == SyncRun.Status.PARTIAL


def test_sweep_puts_back_a_dead_workers_claim(world, connected, probe):
    import datetime as dt

    from django.utils import timezone

    _enable(world.a)
    change = _record(world.a, ProjectFactory(tenant=world.a).id)
    with scope(tenant=world.a):
        OutboundChange.objects.filter(id=change.id).update(
            state=OutboundChange.State.SENDING, claimed_at=timezone.now() - dt.timedelta(hours=1),
        )
    with scopes_disabled():  # as the sweep task runs it, over every company
        assert runner.outbound_changes_sweep() == [world.a.id]
    _push(world.a)
    assert len(probe.local) == 1


def test_sweep_keeps_the_newer_change_of_a_row_changed_again_while_a_dead_worker_held_it(world, connected, probe):
    """Found by the fault suite: putting the dead claim back beside the newer pending change of the same row
    broke the one-pending-change rule, and the IntegrityError stopped the sweep for every company."""
    import datetime as dt

    from django.utils import timezone

    _enable(world.a)
    project = ProjectFactory(tenant=world.a)
    dead = _record(world.a, project.id)
    with scope(tenant=world.a):
        OutboundChange.objects.filter(id=dead.id).update(
            state=OutboundChange.State.SENDING, claimed_at=timezone.now() - dt.timedelta(hours=1),
        )
    newer = _record(world.a, project.id)
    assert newer.id != dead.id
    with scopes_disabled():  # as the sweep task runs it, over every company
        assert runner.outbound_changes_sweep() == [world.a.id]
    dead.refresh_from_db()
    newer.refresh_from_db()
    assert dead.state == OutboundChange.State.DONE and dead.message == "Erstattet av en nyere endring."
    assert newer.state == OutboundChange.State.PENDING
    _push(world.a)
    assert len(probe.local) == 1


def _run(tenant, name="probe"):
    with scope(tenant=tenant), transaction.atomic():
        run = connector_run_request(tenant=tenant, name=name, trigger=SyncRun.Trigger.MANUAL)
    with scope(tenant=tenant):
        return runner.connector_run_execute(run=SyncRun.objects.get(id=run.id))


def test_the_watermark_moves_only_when_a_run_succeeds(world, connected, probe):
    _enable(world.a, fail=True)
    run = _run(world.a)
    assert run.status == SyncRun.Status.FAILED and "Validering feilet" in run.message
    with scope(tenant=world.a):
        assert ConnectorConfig.objects.get(name="probe").watermark is None
    _enable(world.a)
    run = _run(world.a)
    assert run.status == SyncRun.Status.SUCCEEDED and run.summary["counts"] == {"unchanged": 1}
    with scope(tenant=world.a):
        config = ConnectorConfig.objects.get(name="probe")
    assert config.watermark is not None and config.watermark <= run.finished_at and config.last_run_id == run.id


def test_a_run_does_nothing_while_the_connector_is_off(world, connected, probe):
    ConnectorConfig.objects.create(tenant=world.a, name="probe", enabled=False)
    run = _run(world.a)
    assert run.status == SyncRun.Status.FAILED and probe.reconciles == 0


def test_a_redelivered_run_task_does_not_run_twice(world, connected, probe):
    _enable(world.a)
    run = _run(world.a)
    with scope(tenant=world.a):
        runner.connector_run_execute(run=SyncRun.objects.get(id=run.id))
    assert probe.reconciles == 1


def test_enable_starts_a_first_run_and_disable_stops_sending(world, connected, probe, django_capture_on_commit_callbacks):
    with scope(tenant=world.a), django_capture_on_commit_callbacks() as callbacks:
        connector_enable(tenant=world.a, name="probe", by=world.alice)
    with scope(tenant=world.a):
        assert SyncRun.objects.filter(connector="probe", trigger=SyncRun.Trigger.MANUAL).count() == 1
    assert len(callbacks) == 2  # the first run, and the webhook subscriptions
    with scope(tenant=world.a):
        connector_disable(tenant=world.a, name="probe", by=world.alice)
    assert _record(world.a, ProjectFactory(tenant=world.a).id) is None


def test_a_claim_names_the_process_that_claims_not_the_one_that_imported_the_runner(world, connected, probe,
                                                                                     monkeypatch):
    # Celery's pool children are forked from the worker that imported the runner; each must claim as itself,
    # or a claim left by a child that died carries its living parent's pid and is never put back.
    _enable(world.a)
    change = _record(world.a, ProjectFactory(tenant=world.a).id)
    seen = []
    _handler(monkeypatch, lambda ctx, ch: seen.append(OutboundChange.objects.get(id=ch.id).claimed_by))
    monkeypatch.setattr(runner.os, "getpid", lambda: 424242)

    _push(world.a)

    assert seen == [f"{runner.socket.gethostname()}:424242"]
    with scope(tenant=world.a):
        assert OutboundChange.objects.get(id=change.id).state == OutboundChange.State.DONE


def test_a_change_whose_handler_fails_unexpectedly_is_put_back_not_left_claimed(world, connected, probe,
                                                                                monkeypatch):
    _enable(world.a)
    change = _record(world.a, ProjectFactory(tenant=world.a).id)

    def broken(ctx, ch):
        raise RuntimeError("database is locked")

    _handler(monkeypatch, broken)

    with pytest.raises(RuntimeError):
        _push(world.a)

    change.refresh_from_db()
    assert (change.state, change.claimed_by, change.attempts) == (OutboundChange.State.PENDING, "", 1)
    assert change.next_attempt_at is not None


def _handler(monkeypatch, handle_local_change) -> None:
    """The probe with another local-change handler, for this test (the probe fixture unregisters it after)."""
    probe = registry.get("probe")
    registry._CONNECTORS["probe"] = dataclasses.replace(probe, handle_local_change=handle_local_change)
