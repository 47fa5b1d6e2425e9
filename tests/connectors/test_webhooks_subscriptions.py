"""Webhook subscriptions follow the connectors switched on: made on enable, deleted on disable and on removal,
and never one we did not make."""
import time

from django.db import connection as db_connection
from django.utils import timezone
from django_scopes import scope

from integrations.connectors import webhooks
from integrations.connectors.services import connector_disable
from integrations.models import Connection, SyncRun, WebhookSubscription
from integrations.services import connection_activate, connection_remove

from .webhook_setup import OTHER_EVENTS, PROBE_EVENTS, enable, eager, other_probe, probe, tx  # noqa: F401


def foreign_subscriptions(tx):
    """Two subscriptions we did not make: another integration's, and one made by hand with our own token."""
    theirs = tx.session("Annen app").post(tx.fake.base_url + "/event/subscription", json={
        "event": "project.update", "targetUrl": "https://annen.example/hook"}).json()["value"]
    by_hand = tx.session().post(tx.fake.base_url + "/event/subscription", json={
        "event": "customer.update", "targetUrl": "https://regnskap.example/hook"}).json()["value"]
    return {theirs["id"], by_hand["id"]}


def test_enabling_a_connector_subscribes_to_its_events_with_our_url_and_secret(tx, probe, django_capture_on_commit_callbacks):
    enable(tx, probe, django_capture_on_commit_callbacks)

    remote = {s["event"]: s for s in tx.remote_subscriptions()}
    assert set(remote) == set(PROBE_EVENTS)
    url = f"https://grjobb.example/webhooks/tripletex/{tx.connection.webhook_key}/"
    secret = tx.connection.webhook_secret
    assert len(secret) >= 40
    for sub in remote.values():
        assert sub["targetUrl"] == url and sub["status"] == "ACTIVE" and sub["fields"] == "id,version"
        assert sub["authHeaderName"] == "Authorization" and sub["authHeaderValue"] == f"Bearer {secret}"
        assert sub["hmacSharedSecret"] and secret not in sub["hmacSharedSecret"]
    assert {e: s.tripletex_id for e, s in tx.ours().items()} == {e: s["id"] for e, s in remote.items()}
    assert {s.connector for s in tx.ours().values()} == {probe.connector.name}


def test_webhook_secret_is_stored_encrypted(tx, probe, django_capture_on_commit_callbacks):
    enable(tx, probe, django_capture_on_commit_callbacks)
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT webhook_secret FROM integrations_connection WHERE id = %s", [tx.connection.id])
        stored = cursor.fetchone()[0]
    assert stored and tx.connection.webhook_secret not in stored


def test_subscriptions_sync_run_twice_makes_nothing_twice(tx, probe, django_capture_on_commit_callbacks):
    enable(tx, probe, django_capture_on_commit_callbacks)
    tx.fake.clear_calls()
    with scope(tenant=tx.tenant):
        webhooks.subscriptions_sync(tenant=tx.tenant)
    assert tx.fake.calls(tx.company_id) == {}
    assert len(tx.remote_subscriptions()) == len(PROBE_EVENTS)


def test_subscriptions_of_a_connection_not_active_are_not_made(tx, probe, django_capture_on_commit_callbacks):
    with scope(tenant=tx.tenant):
        Connection.objects.filter(pk=tx.connection.pk).update(state=Connection.State.NEW)
    enable(tx, probe, django_capture_on_commit_callbacks)
    assert tx.remote_subscriptions() == [] and tx.ours() == {}


def test_disabling_a_connector_deletes_its_subscriptions_and_never_a_foreign_one(
    tx, probe, django_capture_on_commit_callbacks,
):
    foreign = foreign_subscriptions(tx)
    enable(tx, probe, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True), scope(tenant=tx.tenant):
        connector_disable(tenant=tx.tenant, name=probe.connector.name, by=None)
    assert {s["id"] for s in tx.remote_subscriptions()} == foreign
    assert tx.ours() == {}


def test_an_event_two_connectors_want_stays_subscribed_until_both_are_off(
    tx, probe, other_probe, django_capture_on_commit_callbacks,
):
    enable(tx, probe, django_capture_on_commit_callbacks)
    enable(tx, other_probe, django_capture_on_commit_callbacks)
    assert sorted(s["event"] for s in tx.remote_subscriptions()) == sorted(set(PROBE_EVENTS) | set(OTHER_EVENTS))
    with django_capture_on_commit_callbacks(execute=True), scope(tenant=tx.tenant):
        connector_disable(tenant=tx.tenant, name=probe.connector.name, by=None)
    assert sorted(s["event"] for s in tx.remote_subscriptions()) == sorted(OTHER_EVENTS)
    assert set(tx.ours()) == set(OTHER_EVENTS)


def test_removing_the_integration_deletes_our_subscriptions_and_never_a_foreign_one(
    world, tx, probe, django_capture_on_commit_callbacks,
):
    foreign = foreign_subscriptions(tx)
    enable(tx, probe, django_capture_on_commit_callbacks)
    with scope(tenant=tx.tenant):
        connection_remove(tenant=tx.tenant, by=world.alice)
    assert {s["id"] for s in tx.remote_subscriptions()} == foreign
    assert tx.ours() == {}
    with scope(tenant=tx.tenant):
        removed = Connection.objects.get(pk=tx.connection.pk)
    assert removed.state == Connection.State.REMOVED and removed.employee_token == ""


def test_removal_goes_on_when_tripletex_does_not_answer_the_unsubscribe(
    world, tx, probe, django_capture_on_commit_callbacks,
):
    enable(tx, probe, django_capture_on_commit_callbacks)
    tx.fake.set_faults(company_id=tx.company_id, path_prefix="/event/subscription", hang=10, hang_seconds=10)
    started = time.monotonic()
    with scope(tenant=tx.tenant):
        connection_remove(tenant=tx.tenant, by=world.alice)
        took = time.monotonic() - started
        removed = Connection.objects.get(pk=tx.connection.pk)
    assert removed.state == Connection.State.REMOVED and removed.employee_token == ""
    # The unsubscribe gave up after one short wait (the read timeout is 30 s elsewhere).
    assert took < 6, took
    # What could not be deleted is still known, so a reconnect can clean it up.
    assert set(tx.ours()) == set(PROBE_EVENTS)


def test_removal_goes_on_when_the_unsubscribe_cannot_even_start(
    world, tx, probe, settings, django_capture_on_commit_callbacks,
):
    enable(tx, probe, django_capture_on_commit_callbacks)
    settings.TRIPLETEX_CONSUMER_TOKEN = ""  # no client can be made
    with scope(tenant=tx.tenant):
        connection_remove(tenant=tx.tenant, by=world.alice)
        assert Connection.objects.get(pk=tx.connection.pk).state == Connection.State.REMOVED
    assert set(tx.ours()) == set(PROBE_EVENTS)


def test_a_subscribe_whose_answer_was_lost_is_found_again_not_made_twice(tx, probe, django_capture_on_commit_callbacks):
    tx.fake.set_faults(company_id=tx.company_id, path_prefix="/event/subscription", drop_after_commit=1)
    enable(tx, probe, django_capture_on_commit_callbacks)
    remote = tx.remote_subscriptions()
    assert sorted(s["event"] for s in remote) == sorted(PROBE_EVENTS)
    assert {e: s.tripletex_id for e, s in tx.ours().items()} == {s["event"]: s["id"] for s in remote}


def test_a_spare_subscription_of_ours_found_in_tripletex_is_adopted_once(tx, probe, django_capture_on_commit_callbacks):
    # Two creates of the same event whose answers were both lost: both carry our URL, so both are ours.
    url = webhooks.target_url(tx.connection)
    made = [tx.session().post(tx.fake.base_url + "/event/subscription", json={
        "event": "project.update", "targetUrl": url}).json()["value"]["id"] for _ in range(2)]
    enable(tx, probe, django_capture_on_commit_callbacks)
    remote = tx.remote_subscriptions()
    assert sorted(s["event"] for s in remote) == sorted(PROBE_EVENTS)
    assert tx.ours()["project.update"].tripletex_id == made[0]


def test_reconnecting_subscribes_again_for_the_connectors_left_on(world, tx, probe, django_capture_on_commit_callbacks):
    enable(tx, probe, django_capture_on_commit_callbacks)
    with scope(tenant=tx.tenant):
        connection_remove(tenant=tx.tenant, by=world.alice)
    assert tx.remote_subscriptions() == []
    run = SyncRun.objects.create(tenant=tx.tenant, kind=SyncRun.Kind.ACTIVATION)
    with django_capture_on_commit_callbacks(execute=True), scope(tenant=tx.tenant):
        connection_activate(tenant=tx.tenant, by=world.alice, employee_token=tx.tokens["GrønnJobb"],
                            company_id=tx.company_id, company_name="Hook AS", employee_name="Admin", run=run)
    assert sorted(s["event"] for s in tx.remote_subscriptions()) == sorted(PROBE_EVENTS)
    assert set(tx.ours()) == set(PROBE_EVENTS)


def test_subscriptions_of_a_former_tripletex_company_are_left_alone(tx, probe, django_capture_on_commit_callbacks):
    old = WebhookSubscription.objects.create(
        tenant=tx.tenant, connector=probe.connector.name, event="project.update", tripletex_company_id=999999,
        tripletex_id=123, status="ACTIVE", checked_at=timezone.now(),
    )
    enable(tx, probe, django_capture_on_commit_callbacks)
    with scope(tenant=tx.tenant):
        assert WebhookSubscription.objects.filter(pk=old.pk).exists()
        current = WebhookSubscription.objects.filter(tenant=tx.tenant, tripletex_company_id=tx.company_id)
        assert sorted(current.values_list("event", flat=True)) == sorted(PROBE_EVENTS)
    assert sorted(s["event"] for s in tx.remote_subscriptions()) == sorted(PROBE_EVENTS)
