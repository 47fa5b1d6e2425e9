"""Integrasjoner: a card per connector with its rules, on/off, options, "Synkroniser nå" and its last run."""
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from integrations.connectors import selectors
from integrations.models import Connection, ConnectorConfig, SyncRecord, SyncRun

from .sample_connectors import connected, failing, sample, switch_on, tripletex, tripletex_company  # noqa: F401

pytestmark = pytest.mark.django_db

PAGE = reverse("integrations:connectors")


def admin(world):
    return world.client_for(world.alice, world.a)


def card_html(page: str, name: str) -> str:
    match = re.search(rf'<section class="card connector" id="connector-{name}".*?</section>', page, re.S)
    assert match, f"no card for {name}"
    return match.group(0)


def test_page_shows_each_connector_with_its_sentence_and_rules_and_the_hours_card(world, sample, connected):
    page = admin(world).get(PAGE).content.decode()
    card = card_html(page, "sample")
    assert "Testkobling" in card and "Leser prosjekter fra Tripletex for testene." in card
    assert "Prosjekter uten startdato hoppes over" in card
    assert "Prosjekter, kunder og ansatte (toveis)" in card_html(page, "master_data")
    hours = card_html(page, "hours")
    assert "Alltid på" in hours and reverse("integrations:hours") in hours


def test_switching_a_connector_on_starts_its_first_run(world, sample, connected, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin(world).post(reverse("integrations:connector_enable", args=["sample"]))
    assert response.status_code == 302
    with scope(tenant=world.a):
        assert ConnectorConfig.objects.get(tenant=world.a, name="sample").enabled
        run = SyncRun.objects.get(tenant=world.a, connector="sample")
    assert run.trigger == SyncRun.Trigger.MANUAL and run.status == SyncRun.Status.SUCCEEDED
    assert run.summary["counts"] == {"created": 2, "skipped": 1}


def test_switching_a_connector_off_keeps_its_log(world, sample, connected, django_capture_on_commit_callbacks):
    switch_on(world.a, "sample")
    with django_capture_on_commit_callbacks(execute=True):
        admin(world).post(reverse("integrations:connector_sync", args=["sample"]))
    admin(world).post(reverse("integrations:connector_disable", args=["sample"]))
    with scope(tenant=world.a):
        assert not ConnectorConfig.objects.get(tenant=world.a, name="sample").enabled
        assert SyncRecord.objects.filter(tenant=world.a, run__connector="sample").count() == 3
    page = admin(world).get(PAGE).content.decode()
    assert "Slått av" in card_html(page, "sample")


def test_on_and_off_are_two_buttons_and_the_current_one_is_pressed(world, sample, connected):
    switch_on(world.a, "sample")
    card = card_html(admin(world).get(PAGE).content.decode(), "sample")
    on = re.search(r'<button[^>]*>Slå på</button>', card).group(0)
    off = re.search(r'<button[^>]*>Slå av</button>', card).group(0)
    assert 'aria-pressed="true"' in on and "disabled" in on
    assert 'aria-pressed="false"' in off and "disabled" not in off


def test_options_are_saved_through_the_connectors_form(world, sample, connected):
    switch_on(world.a, "sample", days_back=30)
    response = admin(world).post(reverse("integrations:connector_options", args=["sample"]),
                                 {"sample-days_back": "7", "sample-include_internal": "on"})
    assert response.status_code == 302
    with scope(tenant=world.a):
        saved = ConnectorConfig.objects.get(tenant=world.a, name="sample").options
    assert saved == {"days_back": 7, "include_internal": True}
    card = card_html(admin(world).get(PAGE).content.decode(), "sample")
    assert 'name="sample-days_back" value="7"' in card


def test_a_bad_option_is_shown_in_the_form_and_the_saved_options_stay(world, sample, connected):
    switch_on(world.a, "sample", days_back=30)
    response = admin(world).post(reverse("integrations:connector_options", args=["sample"]), {"sample-days_back": "0"})
    assert response.status_code == 200
    card = card_html(response.content.decode(), "sample")
    assert 'class="field-error"' in card and 'value="0"' in card
    with scope(tenant=world.a):
        assert ConnectorConfig.objects.get(tenant=world.a, name="sample").options == {"days_back": 30}


def test_synkroniser_naa_runs_the_connector_and_the_card_shows_counts_per_action(
    world, sample, connected, django_capture_on_commit_callbacks,
):
    switch_on(world.a, "sample")
    client = admin(world)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("integrations:connector_sync", args=["sample"]))
    page = client.get(PAGE).content.decode()
    assert "Synkroniseringen er startet." in page
    card = card_html(page, "sample")
    assert "Fullført" in card and "2 opprettet" in card and "1 hoppet over" in card
    assert re.search(r'<button class="btn primary" type="submit">Synkroniser nå</button>', card)
    assert "hx-trigger" not in card
    assert reverse("integrations:sync_log") + "?integrasjon=sample" in card


def test_card_polls_while_its_run_is_running_and_stops_when_it_is_done(world, sample, connected):
    switch_on(world.a, "sample")
    run = SyncRun.objects.create(tenant=world.a, kind=SyncRun.Kind.CONNECTOR, connector="sample",
                                 trigger=SyncRun.Trigger.MANUAL)
    SyncRecord.objects.create(tenant=world.a, run=run, object_kind="project", action="created", direction="in")
    poll_url = reverse("integrations:connector_card", args=["sample"])
    fragment = admin(world).get(poll_url, HTTP_HX_REQUEST="true").content.decode()
    assert f'hx-get="{poll_url}"' in fragment and 'hx-trigger="every 1s"' in fragment
    assert "1 rad så langt" in fragment
    assert re.search(r'<button[^>]*disabled[^>]*>Synkroniser nå</button>', fragment)

    run.status, run.finished_at, run.summary = SyncRun.Status.SUCCEEDED, timezone.now(), {"counts": {"created": 1}}
    run.save()
    fragment = admin(world).get(poll_url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment and "1 opprettet" in fragment


def test_synkroniser_naa_while_a_run_is_going_starts_no_second_run(world, sample, connected):
    switch_on(world.a, "sample")
    SyncRun.objects.create(tenant=world.a, kind=SyncRun.Kind.CONNECTOR, connector="sample",
                           trigger=SyncRun.Trigger.MANUAL)
    response = admin(world).post(reverse("integrations:connector_sync", args=["sample"]), follow=True)
    assert "En synkronisering pågår allerede." in response.content.decode()
    with scope(tenant=world.a):
        assert SyncRun.objects.filter(tenant=world.a, connector="sample").count() == 1


def test_a_run_left_running_by_a_dead_worker_does_not_block_synkroniser_naa(world, sample, connected):
    switch_on(world.a, "sample")
    with scope(tenant=world.a):
        stale = SyncRun.objects.create(tenant=world.a, kind=SyncRun.Kind.CONNECTOR, connector="sample",
                                       trigger=SyncRun.Trigger.MANUAL)
        SyncRun.objects.filter(id=stale.id).update(created_at=timezone.now() - selectors.RUN_STALE_AFTER * 2)
    admin(world).post(reverse("integrations:connector_sync", args=["sample"]))
    with scope(tenant=world.a):
        assert SyncRun.objects.filter(tenant=world.a, connector="sample").count() == 2


def test_a_failed_run_shows_tripletexs_message_on_the_card(
    world, failing, connected, django_capture_on_commit_callbacks,
):
    switch_on(world.a, "failing")
    with django_capture_on_commit_callbacks(execute=True):
        admin(world).post(reverse("integrations:connector_sync", args=["failing"]))
    with scope(tenant=world.a):
        run = SyncRun.objects.get(tenant=world.a, connector="failing")
    assert run.status == SyncRun.Status.FAILED and run.message
    card = card_html(admin(world).get(PAGE).content.decode(), "failing")
    assert "Feilet" in card and run.message in card


def test_without_an_active_connection_the_cards_say_so_and_every_button_is_disabled(world, sample):
    Connection.objects.create(tenant=world.a, state=Connection.State.REMOVED)
    page = admin(world).get(PAGE).content.decode()
    assert "Tripletex er ikke koblet til" in page
    card = card_html(page, "sample")
    buttons = re.findall(r"<button[^>]*>", card)
    assert buttons and all("disabled" in b for b in buttons)
    assert "Venter på Tripletex" in card_html(page, "hours")


@pytest.mark.parametrize("action", ["connector_enable", "connector_sync", "connector_options"])
def test_without_an_active_connection_a_post_changes_nothing_and_says_why(world, sample, action):
    url = reverse(f"integrations:{action}", args=["sample"])
    response = admin(world).post(url, {"sample-days_back": "5"}, follow=True)
    assert "Tripletex er ikke koblet til" in response.content.decode()
    with scope(tenant=world.a):
        assert not ConnectorConfig.objects.filter(tenant=world.a, name="sample", enabled=True).exists()
        assert not ConnectorConfig.objects.filter(tenant=world.a, options__days_back=5).exists()
        assert not SyncRun.objects.filter(tenant=world.a).exists()


def test_settings_page_and_tripletex_card_link_to_integrasjoner(world, connected):
    page = admin(world).get(reverse("company_settings")).content.decode()
    tabs = re.search(r'<nav class="tabs".*?</nav>', page, re.S).group(0)
    assert f'href="{PAGE}"' in tabs and f'href="{reverse("integrations:sync_log")}"' in tabs
    tripletex_card = re.search(r'<section class="card" id="tripletex">.*?</section>', page, re.S).group(0)
    assert f'href="{PAGE}"' in tripletex_card


def test_unknown_connector_is_404(world, connected):
    assert admin(world).post(reverse("integrations:connector_enable", args=["nope"])).status_code == 404
    assert admin(world).get(reverse("integrations:connector_card", args=["nope"])).status_code == 404


def _connector_and_log_urls(world):
    link_id = record_id = 1
    return [
        ("get", PAGE), ("get", reverse("integrations:sync_log")),
        ("get", reverse("integrations:connector_card", args=["sample"])),
        *[("post", reverse(f"integrations:{name}", args=["sample"]))
          for name in ("connector_enable", "connector_disable", "connector_options", "connector_sync")],
        ("post", reverse("integrations:record_retry", args=[record_id])),
        ("post", reverse("integrations:link_restore", args=[link_id])),
    ]


def test_an_employee_gets_403_on_every_integrasjoner_and_log_url(world, sample, connected):
    carol = world.client_for(world.carol, world.a)
    for method, url in _connector_and_log_urls(world):
        assert getattr(carol, method)(url).status_code == 403, url
    with scope(tenant=world.a):
        assert not ConnectorConfig.objects.filter(tenant=world.a).exists()
