"""Synkroniseringslogg: every record of the company, filters, paging, "Prøv igjen" and "Gjenopprett kobling"."""
import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from hr.models import Project
from integrations.connectors import activation
from integrations.connectors.selectors import last_reconcile_run
from integrations.connectors.services import RULE_LINK_RESTORED
from integrations.models import Link, OutboundChange, SyncRecord, SyncRun
from tests.factories import ProjectFactory

from .sample_connectors import SEEN, connected, sample, switch_on, tripletex, tripletex_company  # noqa: F401

pytestmark = pytest.mark.django_db

LOG = reverse("integrations:sync_log")


def admin(world):
    return world.client_for(world.alice, world.a)


def run_of(tenant, connector="sample", kind=SyncRun.Kind.CONNECTOR, trigger=SyncRun.Trigger.MANUAL):
    return SyncRun.objects.create(tenant=tenant, kind=kind, connector=connector, trigger=trigger,
                                  status=SyncRun.Status.PARTIAL)


def record(run, **fields):
    values = {"object_kind": Link.Kind.PROJECT, "action": SyncRecord.Action.CREATED,
              "direction": SyncRecord.Direction.FROM_TRIPLETEX, "label": "1001 Prosjekt", **fields}
    return SyncRecord.objects.create(tenant=run.tenant, run=run, **values)


def rows(page: str) -> list[str]:
    return re.findall(r'<tr data-record="\d+">.*?</tr>', page, re.S)


def labels(page: str) -> list[str]:
    return [re.search(r'<td class="obj">([^<]*)', row).group(1) for row in rows(page)]


def test_log_lists_the_companys_records_newest_first_and_no_one_elses(world):
    run = run_of(world.a)
    for label in ("første", "andre", "tredje"):
        record(run, label=label)
    record(run_of(world.b), label="Betahemmelig")
    page = admin(world).get(LOG).content.decode()
    assert labels(page) == ["tredje", "andre", "første"]
    assert "Betahemmelig" not in page


def test_log_pages_by_fifty(world):
    run = run_of(world.a)
    SyncRecord.objects.bulk_create([SyncRecord(tenant=world.a, run=run, object_kind="project", action="created",
                                               label=f"rad {i:03}") for i in range(60)])
    first = admin(world).get(LOG).content.decode()
    second = admin(world).get(LOG, {"side": 2}).content.decode()
    assert len(rows(first)) == 50 and len(rows(second)) == 10
    assert "rad 059" in first and "rad 009" in second and "Side 2 av 2" in second


def test_paging_keeps_the_filters(world):
    run = run_of(world.a)
    SyncRecord.objects.bulk_create([SyncRecord(tenant=world.a, run=run, object_kind="project", action="failed",
                                               label=f"rad {i}") for i in range(55)])
    page = admin(world).get(LOG, {"handling": "failed"}).content.decode()
    assert 'href="?handling=failed&amp;side=2"' in page


@pytest.mark.parametrize("params,expected", [
    ({"integrasjon": "sample"}, {"sample-ut", "sample-inn"}),
    ({"integrasjon": "timeoverforing"}, {"timer"}),
    ({"integrasjon": "veiviser"}, {"aktivering"}),
    ({"type": "customer"}, {"sample-inn"}),
    ({"handling": "failed"}, {"sample-ut"}),
    ({"retning": "out"}, {"sample-ut", "timer"}),
    ({"q": "tripletex sa nei"}, {"sample-ut"}),
    ({"q": "Mangler startdato"}, {"aktivering"}),
])
def test_log_filters_by_connector_kind_action_direction_and_text(world, sample, params, expected):
    sample_run = run_of(world.a)
    record(sample_run, label="sample-ut", action="failed", direction="out", message="Tripletex sa nei")
    record(sample_run, label="sample-inn", object_kind=Link.Kind.CUSTOMER)
    record(run_of(world.a, connector="", kind=SyncRun.Kind.HOURS, trigger=""), label="timer", object_kind="hours",
           direction="out")
    record(run_of(world.a, connector="", kind=SyncRun.Kind.ACTIVATION, trigger=""), label="aktivering",
           action="skipped", direction="", rule=str(activation.SKIP_NO_START))
    page = admin(world).get(LOG, params).content.decode()
    assert set(labels(page)) == expected


def test_log_filters_by_run_and_names_the_run(world, sample):
    one, other = run_of(world.a), run_of(world.a)
    record(one, label="i den ene")
    record(other, label="i den andre")
    page = admin(world).get(LOG, {"kjoring": one.id}).content.decode()
    assert labels(page) == ["i den ene"]
    assert 'data-testid="log-run"' in page and "Testkobling" in page


@pytest.mark.parametrize("params", [
    {"kjoring": "abc"}, {"kjoring": "99999999999999999999999"}, {"handling": "bogus"}, {"retning": "sideways"},
    {"integrasjon": "<script>"}, {"side": "999"}, {"q": "x" * 500},
])
def test_bad_filter_values_are_not_a_500(world, params):
    record(run_of(world.a), label="synlig")
    response = admin(world).get(LOG, params)
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


def test_a_skipped_record_shows_its_rule_in_the_users_language(world):
    record(run_of(world.a, connector="", kind=SyncRun.Kind.ACTIVATION, trigger=""), action="skipped",
           rule=str(activation.SKIP_NO_START))
    client = admin(world)
    assert "Mangler startdato i Tripletex" in client.get(LOG).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": LOG})
    english = client.get(LOG).content.decode()
    rule = re.search(r'<span data-testid="rule">(.*?)</span>', english).group(1)
    assert rule != "Mangler startdato i Tripletex" and rule


def test_a_failed_record_shows_tripletexs_message_and_request_id(world):
    record(run_of(world.a), action="failed", direction="out", message="Prosjektnummeret er i bruk.",
           request_id="req-4711")
    row = rows(admin(world).get(LOG).content.decode())[0]
    assert "Prosjektnummeret er i bruk." in row and "req-4711" in row


def test_only_a_message_with_tripletexs_request_id_is_called_a_message_from_tripletex(world):
    run = run_of(world.a)
    record(run, action="failed", direction="out", message="Prosjektnummeret er i bruk.", request_id="req-4711")
    record(run, action="updated", direction="out", message="Sendt til Tripletex: navn.")
    tripletexs, ours = rows(admin(world).get(LOG).content.decode())[::-1]
    assert "Melding fra Tripletex" in tripletexs
    assert "Sendt til Tripletex: navn." in ours and "Melding fra Tripletex" not in ours


def test_prov_igjen_is_offered_only_on_failed_records_of_a_connector(world, sample):
    run = run_of(world.a)
    record(run, label="feilet ut", action="failed", direction="out", local_id=5)
    record(run, label="opprettet", action="created", direction="out", local_id=6)
    record(run_of(world.a, connector="", kind=SyncRun.Kind.HOURS, trigger=""), label="time feilet", action="failed",
           object_kind="hours", direction="out", local_id=7)
    page = admin(world).get(LOG).content.decode()
    by_label = {label: row for label, row in zip(labels(page), rows(page))}
    assert "Prøv igjen</button>" in by_label["feilet ut"]
    assert "Prøv igjen" not in by_label["opprettet"]
    assert "Prøv igjen</button>" not in by_label["time feilet"]
    assert reverse("integrations:hours") in by_label["time feilet"]


def test_prov_igjen_on_a_failed_change_to_tripletex_puts_its_change_back_to_pending(world, sample, connected):
    switch_on(world.a, "sample")
    project = ProjectFactory(tenant=world.a)
    change = OutboundChange.objects.create(tenant=world.a, kind=Link.Kind.PROJECT, local_id=project.id, attempts=6,
                                           state=OutboundChange.State.FAILED, message="Tripletex sa nei")
    failed = record(run_of(world.a), action="failed", direction="out", local_id=project.id)
    response = admin(world).post(reverse("integrations:record_retry", args=[failed.id]), follow=True)
    assert "sendes til Tripletex på nytt" in response.content.decode()
    change.refresh_from_db()
    assert change.state == OutboundChange.State.PENDING and change.attempts == 0 and change.message == ""
    with scope(tenant=world.a):
        assert OutboundChange.objects.filter(tenant=world.a).count() == 1


def test_prov_igjen_sends_the_change_to_the_connector_when_it_commits(
    world, sample, connected, django_capture_on_commit_callbacks,
):
    switch_on(world.a, "sample")
    project = ProjectFactory(tenant=world.a)
    OutboundChange.objects.create(tenant=world.a, kind=Link.Kind.PROJECT, local_id=project.id,
                                  state=OutboundChange.State.FAILED)
    failed = record(run_of(world.a), action="failed", direction="out", local_id=project.id)
    with django_capture_on_commit_callbacks(execute=True):
        admin(world).post(reverse("integrations:record_retry", args=[failed.id]))
    assert ("local", world.a.id, Link.Kind.PROJECT, project.id) in SEEN
    with scope(tenant=world.a):
        assert OutboundChange.objects.get(tenant=world.a).state == OutboundChange.State.DONE


def test_prov_igjen_without_a_failed_change_queues_a_new_one_for_the_row(world, sample, connected):
    switch_on(world.a, "sample")
    project = ProjectFactory(tenant=world.a)
    failed = record(run_of(world.a), action="failed", direction="out", local_id=project.id, label="1001 Bygg")
    admin(world).post(reverse("integrations:record_retry", args=[failed.id]))
    with scope(tenant=world.a):
        change = OutboundChange.objects.get(tenant=world.a)
    assert (change.kind, change.local_id, change.state) == (Link.Kind.PROJECT, project.id, OutboundChange.State.PENDING)
    assert change.snapshot == {"label": "1001 Bygg"}


def test_prov_igjen_on_a_failed_read_from_tripletex_reads_the_object_again(
    world, sample, connected, django_capture_on_commit_callbacks,
):
    switch_on(world.a, "sample")
    webhook_run = run_of(world.a, trigger=SyncRun.Trigger.WEBHOOK)
    failed = record(webhook_run, action="failed", direction="in", tripletex_id=4242)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin(world).post(reverse("integrations:record_retry", args=[failed.id]))
    assert response.status_code == 302
    assert SEEN == [("remote", world.a.id, Link.Kind.PROJECT, 4242, "project.update", SyncRun.Trigger.WEBHOOK)]
    with scope(tenant=world.a):
        reread = SyncRun.objects.filter(tenant=world.a, connector="sample").latest("id")
        assert reread.records.get().tripletex_id == 4242


def test_prov_igjen_while_the_connector_is_off_says_so_and_queues_nothing(world, sample, connected):
    failed_out = record(run_of(world.a), action="failed", direction="out", local_id=1)
    failed_in = record(run_of(world.a), action="failed", direction="in", tripletex_id=1)
    for r in (failed_out, failed_in):
        page = admin(world).post(reverse("integrations:record_retry", args=[r.id]), follow=True).content.decode()
        assert "slått av" in page
    with scopes_disabled():  # in no company
        assert not OutboundChange.objects.exists()


def test_prov_igjen_on_a_record_that_did_not_fail_is_refused(world, sample, connected):
    switch_on(world.a, "sample")
    done = record(run_of(world.a), action="created", direction="out", local_id=1)
    page = admin(world).post(reverse("integrations:record_retry", args=[done.id]), follow=True).content.decode()
    assert "Bare rader som feilet" in page
    with scopes_disabled():  # in no company
        assert not OutboundChange.objects.exists()


def test_prov_igjen_returns_to_the_filtered_log_page(world, sample, connected):
    switch_on(world.a, "sample")
    failed = record(run_of(world.a), action="failed", direction="out", local_id=1)
    back = f"{LOG}?handling=failed&side=1"
    response = admin(world).post(reverse("integrations:record_retry", args=[failed.id]), {"next": back})
    assert response["Location"] == back
    response = admin(world).post(reverse("integrations:record_retry", args=[failed.id]),
                                 {"next": "https://evil.example/"})
    assert response["Location"] == LOG


def broken_link(world, connected, project):
    return Link.objects.create(tenant=world.a, kind=Link.Kind.PROJECT, local_id=project.id, tripletex_id=777,
                               tripletex_company_id=connected.tripletex_company_id, state=Link.State.BROKEN,
                               local_hash="sendt-før")


def test_a_record_whose_link_is_broken_offers_gjenopprett_kobling(world, sample, connected):
    project = ProjectFactory(tenant=world.a)
    link = broken_link(world, connected, project)
    record(run_of(world.a), label="brutt", action="skipped", direction="in", tripletex_id=777)
    record(run_of(world.a), label="hel", action="created", direction="in", tripletex_id=778)
    page = admin(world).get(LOG).content.decode()
    by_label = {label: row for label, row in zip(labels(page), rows(page))}
    assert reverse("integrations:link_restore", args=[link.id]) in by_label["brutt"]
    assert "Gjenopprett kobling" not in by_label["hel"]


def test_gjenopprett_kobling_relinks_logs_who_did_it_and_sends_the_row(world, sample, connected):
    switch_on(world.a, "sample")
    project = ProjectFactory(tenant=world.a, name="Bryggen")
    link = broken_link(world, connected, project)
    sync = run_of(world.a)
    record(sync, label="1001 Bryggen", action="skipped", direction="in", tripletex_id=777, local_id=project.id)
    response = admin(world).post(reverse("integrations:link_restore", args=[link.id]), follow=True)
    assert "Koblingen er gjenopprettet" in response.content.decode()
    link.refresh_from_db()
    assert link.state == Link.State.LINKED and link.local_hash == ""
    with scope(tenant=world.a):
        change = OutboundChange.objects.get(tenant=world.a)
        assert (change.kind, change.local_id, change.op) == (Link.Kind.PROJECT, project.id, OutboundChange.Op.UPSERT)
        logged = SyncRecord.objects.get(tenant=world.a, rule=RULE_LINK_RESTORED)
        assert logged.action == SyncRecord.Action.LINKED and logged.run.started_by == world.alice
        assert logged.run.trigger == SyncRun.Trigger.LOCAL_CHANGE
        assert last_reconcile_run(tenant=world.a, name="sample") == sync  # the card's "last sync" is still a sync
        assert logged.label == "1001 Bryggen"


def test_gjenopprett_kobling_on_a_link_that_is_not_broken_says_so(world, sample, connected):
    switch_on(world.a, "sample")
    link = broken_link(world, connected, ProjectFactory(tenant=world.a))
    with scope(tenant=world.a):
        Link.objects.filter(id=link.id).update(state=Link.State.LINKED)
    page = admin(world).post(reverse("integrations:link_restore", args=[link.id]), follow=True).content.decode()
    assert "Koblingen er ikke brutt." in page
    with scopes_disabled():  # in no company
        assert not OutboundChange.objects.exists()


def test_gjenopprett_kobling_while_the_connector_is_off_keeps_the_link_broken(world, sample, connected):
    link = broken_link(world, connected, ProjectFactory(tenant=world.a))
    page = admin(world).post(reverse("integrations:link_restore", args=[link.id]), follow=True).content.decode()
    assert "Kan ikke gjenopprettes nå" in page
    link.refresh_from_db()
    assert link.state == Link.State.BROKEN


def test_another_companys_admin_can_neither_retry_nor_restore(world, sample, connected):
    switch_on(world.a, "sample")
    link = broken_link(world, connected, ProjectFactory(tenant=world.a))
    failed = record(run_of(world.a), action="failed", direction="out", local_id=1)
    bob = world.client_for(world.bob, world.b)
    assert bob.post(reverse("integrations:record_retry", args=[failed.id])).status_code == 404
    assert bob.post(reverse("integrations:link_restore", args=[link.id])).status_code == 404
    link.refresh_from_db()
    with scopes_disabled():  # in no company
        assert link.state == Link.State.BROKEN and not OutboundChange.objects.exists()


def test_retry_and_restore_need_the_csrf_token(world, sample, connected):
    switch_on(world.a, "sample")
    link = broken_link(world, connected, ProjectFactory(tenant=world.a))
    failed = record(run_of(world.a), action="failed", direction="out", local_id=1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    assert client.post(reverse("integrations:record_retry", args=[failed.id])).status_code == 403
    assert client.post(reverse("integrations:link_restore", args=[link.id])).status_code == 403
    assert client.get(reverse("integrations:record_retry", args=[failed.id])).status_code == 405
    link.refresh_from_db()
    with scopes_disabled():  # in no company
        assert link.state == Link.State.BROKEN and not OutboundChange.objects.exists()
    with scope(tenant=world.a):
        assert Project.objects.filter(tenant=world.a).count() == 1


def test_another_companys_run_id_in_the_filter_shows_nothing_of_it(world):
    a_run = run_of(world.a)
    record(a_run, label="Alfahemmelig")
    page = world.client_for(world.bob, world.b).get(LOG, {"kjoring": a_run.id}).content.decode()
    assert "Alfahemmelig" not in page and 'data-testid="log-run"' not in page


def test_the_log_page_makes_as_many_queries_for_fifty_rows_as_for_two(world, sample, connected,
                                                                      django_assert_max_num_queries):
    run = run_of(world.a)
    record(run, action="failed", direction="out", local_id=1)
    record(run, action="skipped", direction="in", tripletex_id=777)
    client = admin(world)
    client.get(LOG)  # session and language set up once
    with django_assert_max_num_queries(12) as few:
        client.get(LOG)
    SyncRecord.objects.bulk_create([SyncRecord(tenant=world.a, run=run_of(world.a), object_kind="project",
                                               action="failed", direction="out", local_id=i) for i in range(48)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(LOG)


def test_prov_igjen_on_a_row_whose_change_is_backing_off_sends_that_change_now(world, sample, connected):
    switch_on(world.a, "sample")
    project = ProjectFactory(tenant=world.a)
    later = timezone.now() + dt.timedelta(minutes=20)
    waiting = OutboundChange.objects.create(tenant=world.a, kind=Link.Kind.PROJECT, local_id=project.id, attempts=3,
                                            next_attempt_at=later)
    failed = record(run_of(world.a), action="failed", direction="out", local_id=project.id)
    admin(world).post(reverse("integrations:record_retry", args=[failed.id]))
    waiting.refresh_from_db()
    assert waiting.next_attempt_at <= timezone.now() and waiting.state == OutboundChange.State.PENDING
    with scope(tenant=world.a):
        assert OutboundChange.objects.filter(tenant=world.a).count() == 1
