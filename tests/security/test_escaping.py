"""Names and messages that come from Tripletex (or are typed by a user) with HTML and script in them are
shown as text on every page, never run: Integrasjoner, Synkroniseringslogg, «Endret i Tripletex», the HR
registers, the wizard's lists, approval, timesheet and Timeoverføring, and the messages after an action.

Every page of the URL conf is asked for, so a new page showing these rows is covered too.
"""
import pytest
from django.urls import reverse

from hr.models import TimeEntry
from integrations.models import (
    ConnectorConfig, HourSlot, HourTransfer, RemoteChange, SyncRecord, SyncRun,
)
from tests.test_isolation import all_routes, fill
from wizard.models import Draft, Fetch, Item

pytestmark = pytest.mark.django_db

PAYLOAD = '"><script>xss()</script><img src=x onerror=xss()>'
RAW = ("<script>xss()", "<img src=x")
ESCAPED = "&lt;script&gt;xss()"
STEPS = ("api-nokkel", "prosjekter", "lonnsarter", "ansatte", "ferdigstill")


@pytest.fixture
def hostile(world, a_rows):
    """Company A connected, with every name and message from Tripletex carrying markup."""
    o = a_rows
    for obj, fields in ((o["employee"], ("first_name", "last_name")), (o["project"], ("name",)),
                        (o["customer"], ("name", "city")), (o["activity"], ("name",)), (o["wage_type"], ("name",)),
                        (o["connection"], ("tripletex_company_name", "tripletex_employee_name")),
                        (o["record"], ("label", "message", "rule")), (o["run"], ("message",)),
                        (o["remote_change"], ("label",))):
        type(obj).objects.filter(id=obj.id).update(**{f: PAYLOAD for f in fields})
    o["remote_change"].__class__.objects.filter(id=o["remote_change"].id).update(
        data={"number": PAYLOAD[:40], "name": PAYLOAD, "start_date": "2026-01-01", "end_date": None,
              "is_internal": False})
    RemoteChange.objects.create(tenant=world.a, kind="employee", tripletex_company_id=1, tripletex_id=2,
                                change="deleted", label=PAYLOAD, local_id=o["employee"].id)
    ConnectorConfig.objects.create(tenant=world.a, name="master_data", enabled=True)
    run = SyncRun.objects.create(tenant=world.a, kind=SyncRun.Kind.CONNECTOR, connector="master_data",
                                 trigger=SyncRun.Trigger.MANUAL, status=SyncRun.Status.PARTIAL, message=PAYLOAD)
    for action in (SyncRecord.Action.FAILED, SyncRecord.Action.SKIPPED):
        SyncRecord.objects.create(tenant=world.a, run=run, object_kind="project", action=action, label=PAYLOAD,
                                  rule=PAYLOAD, message=PAYLOAD, local_id=o["project"].id)
    hours = SyncRun.objects.create(tenant=world.a, kind=SyncRun.Kind.HOURS, message=PAYLOAD)
    SyncRecord.objects.create(tenant=world.a, run=hours, object_kind="hours", action=SyncRecord.Action.FAILED,
                              label=PAYLOAD, message=PAYLOAD)
    entry = o["entry"]
    TimeEntry.objects.filter(id=entry.id).update(comment=PAYLOAD, status=TimeEntry.Status.APPROVED)
    # The shared fixture may have made this entry's slot already.
    slot, _ = HourSlot.objects.get_or_create(tenant=world.a, kind=HourSlot.Kind.ENTRY, employee_id=entry.employee_id,
                                             date=entry.date, project_id=entry.project_id, activity_id=entry.activity_id)
    HourTransfer.objects.create(tenant=world.a, entry=entry, local_entry_id=entry.id, slot=slot, hours=entry.hours,
                                state=HourTransfer.State.FAILED, reason=PAYLOAD, message=PAYLOAD)
    draft = Draft.objects.create(tenant=world.a, started_by=world.alice, tripletex_company_id=1,
                                 tripletex_company_name=PAYLOAD, tripletex_employee_name=PAYLOAD)
    for kind in ("project", "wage_type", "employee"):
        Fetch.objects.create(tenant=world.a, draft=draft, kind=kind, status=Fetch.Status.DONE)
        Item.objects.create(tenant=world.a, draft=draft, kind=kind, tripletex_id=7, number=PAYLOAD[:50], name=PAYLOAD,
                            action=Item.Action.SKIP, skip_reason=PAYLOAD, search=PAYLOAD.lower())
        Item.objects.create(tenant=world.a, draft=draft, kind=kind, tripletex_id=8, name=PAYLOAD,
                            action=Item.Action.CREATE, selected=True, search=PAYLOAD.lower())
    return {**o, "run": hours, "step": "prosjekter"}


def pages(world, objs) -> dict[str, str]:
    alice = world.client_for(world.alice, world.a)
    carol = world.client_for(world.carol, world.a)
    shown = {}
    for route in all_routes():
        if route.startswith("webhooks/"):
            continue
        urls = [f"/tripletex/aktivering/{s}/" for s in STEPS] if "<slug:step>" in route else [fill(route, objs)]
        for url in urls:
            response = alice.get(url, follow=True)
            if response.get("Content-Type", "").startswith("text/html"):  # markup matters where it is HTML
                shown[url] = response.content.decode()
    shown["timeliste (carol)"] = carol.get(reverse("hr:timesheet") + "?uke=2026-W47").content.decode()
    shown["godkjenning, alle"] = alice.get(reverse("hr:approvals"), {"status": ""}).content.decode()
    shown["prøv igjen"] = alice.post(reverse("integrations:record_retry", args=[objs["record"].id]),
                                     follow=True).content.decode()
    shown["godta"] = alice.post(reverse("integrations:remote_change_accept", args=[objs["remote_change"].id]),
                                follow=True).content.decode()
    return shown


def test_names_from_tripletex_with_markup_are_shown_as_text_on_every_page(world, hostile):
    shown = pages(world, hostile)
    for url, body in shown.items():
        assert not [raw for raw in RAW if raw in body], f"{url} puts a name from Tripletex into the page as markup"


@pytest.mark.parametrize("url", [
    "/integrasjoner/", "/integrasjoner/logg/", "/selskapsinnstillinger/", "/prosjekter/", "/kunder/", "/ansatte/",
    "/tripletex/aktivering/prosjekter/", "/tripletex/aktivering/ferdigstill/", "/godkjenning/", "/timeliste/",
    "/integrasjoner/timeoverforing/",
])
def test_the_pages_that_show_names_from_tripletex_do_show_them(world, hostile, url):
    """Proves the test above looks at the names: each of these pages shows them, escaped."""
    client = world.client_for(world.carol if url == "/timeliste/" else world.alice, world.a)
    query = {"uke": "2026-W47"} if url == "/timeliste/" else {"status": ""} if url == "/godkjenning/" else {}
    body = client.get(url, query).content.decode()
    assert ESCAPED in body
