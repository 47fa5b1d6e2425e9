"""Retention: sync records older than SYNC_LOG_DAYS go, with the runs they leave empty; the rest stays."""
import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from integrations.models import ConnectionEvent, ConnectorConfig, SyncRecord, SyncRun
from integrations.services import sync_log_prune
from integrations.tasks import prune_sync_log

pytestmark = pytest.mark.django_db


def aged(model, obj, days: float):
    model.objects.filter(id=obj.id).update(created_at=timezone.now() - dt.timedelta(days=days))
    return obj


@scopes_disabled()
def run_with_records(tenant, *, run_days: float, record_days: list[float]) -> SyncRun:
    run = aged(SyncRun, SyncRun.objects.create(tenant=tenant, kind=SyncRun.Kind.CONNECTOR), run_days)
    for days in record_days:
        made = SyncRecord.objects.create(tenant=tenant, run=run, object_kind="project", action="created")
        aged(SyncRecord, made, days)
    return run


def test_records_older_than_the_limit_are_deleted_and_newer_ones_kept(world):
    run = run_with_records(world.a, run_days=100, record_days=[100, 95, 80, 1])
    with scope(tenant=world.a):
        records, runs = sync_log_prune(tenant=world.a, before=timezone.now() - dt.timedelta(days=90))
        assert (records, runs) == (2, 0)
        assert SyncRecord.objects.filter(run=run).count() == 2


def test_runs_left_empty_go_and_recent_empty_runs_stay(world):
    old = run_with_records(world.a, run_days=120, record_days=[120, 119])
    old_empty = run_with_records(world.a, run_days=200, record_days=[])
    recent_empty = run_with_records(world.a, run_days=2, record_days=[])
    with scope(tenant=world.a):
        assert sync_log_prune(tenant=world.a, before=timezone.now() - dt.timedelta(days=90)) == (2, 2)
        assert set(SyncRun.objects.values_list("id", flat=True)) == {recent_empty.id}
        assert not SyncRun.objects.filter(id__in=[old.id, old_empty.id]).exists()


def test_pruning_a_run_keeps_the_history_and_connector_that_pointed_at_it(world):
    old = run_with_records(world.a, run_days=120, record_days=[120])
    event = ConnectionEvent.objects.create(tenant=world.a, action=ConnectionEvent.Action.CONNECTED, run=old)
    config = ConnectorConfig.objects.create(tenant=world.a, name="sample", last_run=old)
    with scope(tenant=world.a):
        sync_log_prune(tenant=world.a, before=timezone.now() - dt.timedelta(days=90))
    event.refresh_from_db()
    config.refresh_from_db()
    assert event.run is None and config.last_run is None


def test_prune_deletes_in_batches_and_leaves_nothing_old(world):
    run_with_records(world.a, run_days=100, record_days=[100] * 7)
    with scope(tenant=world.a):
        records, runs = sync_log_prune(tenant=world.a, before=timezone.now() - dt.timedelta(days=90), batch_size=3)
    assert (records, runs) == (7, 1)
    with scopes_disabled():  # in no company
        assert not SyncRecord.objects.exists()


def test_one_companys_prune_leaves_another_companys_log_alone(world):
    run_with_records(world.a, run_days=100, record_days=[100])
    b_run = run_with_records(world.b, run_days=100, record_days=[100])
    with scope(tenant=world.a):
        sync_log_prune(tenant=world.a, before=timezone.now() - dt.timedelta(days=90))
    with scope(tenant=world.b):
        assert SyncRecord.objects.filter(run=b_run).count() == 1


def test_the_daily_task_prunes_every_company_inside_its_own_scope(world, settings):
    settings.SYNC_LOG_DAYS = 30
    keep = run_with_records(world.a, run_days=10, record_days=[10])
    run_with_records(world.a, run_days=40, record_days=[40])
    run_with_records(world.b, run_days=40, record_days=[40, 35])
    # Scopes on, no company chosen: a query the task makes outside a company's scope would raise ScopeError.
    with scope():
        prune_sync_log()
    with scopes_disabled():
        assert list(SyncRecord.objects.values_list("run_id", flat=True)) == [keep.id]


def test_the_prune_runs_nightly_from_beat_and_keeps_90_days_by_default():
    entry = django_settings.CELERY_BEAT_SCHEDULE["sync-log-prune"]
    assert entry["task"] == "integrations.tasks.prune_sync_log"
    assert entry["schedule"].hour == {3}
    assert django_settings.SYNC_LOG_DAYS == 90
