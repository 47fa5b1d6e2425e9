"""Every 15 minutes: subscriptions Tripletex disabled after failed deliveries are switched on again and the
connector reconciles what they missed; deliveries whose task was lost are handed on after all."""
import datetime as dt

from django.utils import timezone
from django_scopes import scope, scopes_disabled

from integrations.connectors import webhooks
from integrations.models import Connection, SyncRun, WebhookDelivery
from integrations.tasks import webhook_subscriptions_check_all

from .webhook_setup import PROBE_EVENTS, connect, eager, enable, probe, tx  # noqa: F401


def check_all(capture):
    with capture(execute=True):
        webhook_subscriptions_check_all()


def reconcile_runs(tx, probe):
    return SyncRun.objects.filter(tenant=tx.tenant, connector=probe.connector.name, trigger=SyncRun.Trigger.SCHEDULE)


def test_subscription_disabled_after_too_many_errors_is_reenabled_and_a_reconcile_requested(
    tx, probe, django_capture_on_commit_callbacks,
):
    enable(tx, probe, django_capture_on_commit_callbacks)
    sub = tx.ours()["project.update"]
    tx.fake.disable_subscription(tx.company_id, sub.tripletex_id)
    probe.reconciles.clear()

    check_all(django_capture_on_commit_callbacks)

    remote = {s["id"]: s for s in tx.remote_subscriptions()}
    assert remote[sub.tripletex_id]["status"] == "ACTIVE"
    sub.refresh_from_db()
    assert sub.status == "ACTIVE" and sub.checked_at is not None
    with scope(tenant=tx.tenant):
        assert reconcile_runs(tx, probe).count() == 1
    assert probe.reconciles == [SyncRun.Trigger.SCHEDULE]


def test_healthy_subscriptions_are_left_alone_and_ask_for_no_reconcile(tx, probe, django_capture_on_commit_callbacks):
    enable(tx, probe, django_capture_on_commit_callbacks)
    tx.fake.clear_calls()
    check_all(django_capture_on_commit_callbacks)
    calls = tx.fake.calls(tx.company_id)
    assert {key: n for key, n in calls.items() if "/event/" in key} == {"GET /event/subscription": 1}
    with scope(tenant=tx.tenant):
        assert not reconcile_runs(tx, probe).exists()


def test_subscription_deleted_in_tripletex_is_made_again_and_a_reconcile_requested(
    tx, probe, django_capture_on_commit_callbacks,
):
    enable(tx, probe, django_capture_on_commit_callbacks)
    gone = tx.ours()["customer.update"].tripletex_id
    assert tx.session().delete(f"{tx.fake.base_url}/event/subscription/{gone}").status_code == 204

    check_all(django_capture_on_commit_callbacks)

    remote = tx.remote_subscriptions()
    assert sorted(s["event"] for s in remote) == sorted(PROBE_EVENTS)
    assert tx.ours()["customer.update"].tripletex_id != gone
    with scope(tenant=tx.tenant):
        assert reconcile_runs(tx, probe).count() == 1


def test_subscription_disabled_for_misuse_stays_disabled(tx, probe, django_capture_on_commit_callbacks):
    enable(tx, probe, django_capture_on_commit_callbacks)
    sub = tx.ours()["project.create"]
    tx.fake.disable_subscription(tx.company_id, sub.tripletex_id, status="DISABLED_MISUSE")
    check_all(django_capture_on_commit_callbacks)
    assert {s["id"]: s["status"] for s in tx.remote_subscriptions()}[sub.tripletex_id] == "DISABLED_MISUSE"
    sub.refresh_from_db()
    assert sub.status == "DISABLED_MISUSE"
    with scope(tenant=tx.tenant):
        assert not reconcile_runs(tx, probe).exists()


def test_only_active_connections_are_checked(world, tx, probe, fake_tripletex, django_capture_on_commit_callbacks):
    enable(tx, probe, django_capture_on_commit_callbacks)
    b = connect(fake_tripletex, world.b)
    enable(b, probe, django_capture_on_commit_callbacks)
    with scope(tenant=world.b):
        Connection.objects.filter(pk=b.connection.pk).update(state=Connection.State.REMOVED, employee_token="")
    # As the beat's task asks it: over every company.
    with scopes_disabled():
        assert webhooks.tenants_to_check() == [world.a.id]


def test_delivery_whose_task_was_lost_is_handed_on_and_old_ones_are_forgotten(
    tx, probe, django_capture_on_commit_callbacks,
):
    enable(tx, probe, django_capture_on_commit_callbacks)
    now = timezone.now()

    @scopes_disabled()
    def delivery(key, age, processed=False):
        made = WebhookDelivery.objects.create(tenant=tx.tenant, key=key, event="project.update", tripletex_id=len(key),
                                              processed_at=now if processed else None)
        WebhookDelivery.objects.filter(pk=made.pk).update(created_at=now - age)
        return made

    lost = delivery("lost", dt.timedelta(minutes=5))
    just_in = delivery("just-in", dt.timedelta(seconds=10))
    long_lost = delivery("long-lost", dt.timedelta(hours=3))
    old = delivery("old", dt.timedelta(days=8), processed=True)

    check_all(django_capture_on_commit_callbacks)

    assert probe.changes == [("project", len("lost"), "project.update")]
    with scope(tenant=tx.tenant):
        assert WebhookDelivery.objects.get(pk=lost.pk).processed_at is not None
        assert WebhookDelivery.objects.get(pk=just_in.pk).processed_at is None
        assert WebhookDelivery.objects.get(pk=long_lost.pk).processed_at is None
        assert not WebhookDelivery.objects.filter(pk=old.pk).exists()
