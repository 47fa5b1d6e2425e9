"""The operations page: queue depth per queue, what is not yet in Tripletex and the last runs, per company,
for the platform's operator only."""
import datetime as dt
import re
import uuid

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from config import celery_app
from api.tasks import prune_idempotency_keys
from integrations.models import Connection, HourSlot, HourTransfer, OutboundChange, SyncRun
from integrations.tasks import connector_run, push_hours
from ops import selectors
from tests.factories import UserFactory
from tests.test_health import dead_broker  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

URL = "/drift/"


@pytest.fixture
def operator():
    client = Client()
    client.force_login(UserFactory(email="drift@gronnjobb.no", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def own_queues(settings):
    """Queues of this test's own, so nothing else on the broker is counted; emptied afterwards."""
    suffix = uuid.uuid4().hex[:8]
    settings.CELERY_TASK_DEFAULT_QUEUE = f"default-{suffix}"
    settings.HOURS_QUEUE = f"hours-{suffix}"
    settings.CONNECTORS_QUEUE = f"connectors-{suffix}"
    yield settings
    with celery_app.connection_for_write() as connection:
        for name in selectors.queue_names():
            connection.default_channel.queue_purge(name)


def cells(html: str, testid: str, key: str) -> dict[str, str]:
    """The table's rows by their data-<key>, each row's text."""
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(rf'<tr data-{key}="([^"]+)"[^>]*>(.*?)</tr>', table, re.S)
    return {k: " ".join(re.sub(r"<[^>]+>", " ", v).split()) for k, v in rows}


def test_the_operator_sees_how_many_tasks_wait_in_each_queue_and_hours_have_their_own(operator, own_queues):
    for _ in range(2):
        push_hours.delay(tenant_id=987654)
    connector_run.delay(run_id=987654)
    for _ in range(3):
        prune_idempotency_keys.delay()
    queues = cells(operator.get(URL).content.decode(), "queues", "queue")
    assert queues == {
        own_queues.CELERY_TASK_DEFAULT_QUEUE: f"{own_queues.CELERY_TASK_DEFAULT_QUEUE} 3",
        own_queues.HOURS_QUEUE: f"{own_queues.HOURS_QUEUE} 2",
        own_queues.CONNECTORS_QUEUE: f"{own_queues.CONNECTORS_QUEUE} 1",
    }


def test_when_the_broker_does_not_answer_the_page_says_so_instead_of_failing(operator, dead_broker):
    response = operator.get(URL)
    assert response.status_code == 200
    assert list(cells(response.content.decode(), "queues", "queue").values()) == [
        f"{name} Meldingskøen svarer ikke" for name in selectors.queue_names()
    ]


def _transfer(tenant, state, entry):
    with scopes_disabled():  # every company's rows: one slot date per row made in this test
        made = HourTransfer.objects.count()
    slot = HourSlot.objects.create(tenant=tenant, kind=HourSlot.Kind.ENTRY, employee_id=entry.employee_id,
                                   date=entry.date + dt.timedelta(days=made))
    return HourTransfer.objects.create(tenant=tenant, entry=entry, local_entry_id=entry.id, slot=slot,
                                       hours=entry.hours, state=state)


def test_the_operator_sees_per_company_what_is_not_yet_in_tripletex_trouble_first(operator, world, hr_a):
    entry = hr_a["entry"]
    for state in (HourTransfer.State.PENDING, HourTransfer.State.PENDING, HourTransfer.State.FAILED,
                  HourTransfer.State.HELD, HourTransfer.State.SENT):
        _transfer(world.a, state, entry)
    OutboundChange.objects.create(tenant=world.a, kind="project", local_id=hr_a["project"].id,
                                  state=OutboundChange.State.FAILED)
    OutboundChange.objects.create(tenant=world.b, kind="project", local_id=1, state=OutboundChange.State.PENDING)
    html = operator.get(URL).content.decode()
    backlog = cells(html, "backlog", "tenant")
    assert list(backlog) == [world.a.slug, world.b.slug]  # the company with failures first
    a_numbers = backlog[world.a.slug].replace(world.a.name, "").split()
    # waiting 2, oldest (a duration), failed 1, held 1, changes waiting 0, failed 1, webhooks 0
    assert a_numbers[0] == "2" and a_numbers[-5:] == ["1", "1", "0", "1", "0"]
    assert backlog[world.b.slug].replace(world.b.name, "").split() == ["0", "0", "0", "1", "0", "0"]


def test_the_operator_sees_the_last_run_per_connector_and_company_with_its_recent_failures(operator, world):
    old = timezone.now() - dt.timedelta(days=3)
    for status in ("failed", "failed", "succeeded"):
        SyncRun.objects.create(tenant=world.a, kind=SyncRun.Kind.CONNECTOR, connector="master_data", status=status)
    stale = SyncRun.objects.create(tenant=world.a, kind=SyncRun.Kind.CONNECTOR, connector="invoices", status="failed")
    with scope(tenant=world.a):
        SyncRun.objects.filter(id=stale.id).update(created_at=old)
    SyncRun.objects.create(tenant=world.a, kind=SyncRun.Kind.CONNECTOR, connector="invoices", status="succeeded")
    SyncRun.objects.create(tenant=world.b, kind=SyncRun.Kind.CONNECTOR, connector="master_data", status="failed")
    SyncRun.objects.create(tenant=world.b, kind=SyncRun.Kind.HOURS, status="succeeded")

    rows = selectors.last_runs()
    seen = [(r.run.tenant, r.run.connector or r.run.kind, r.run.status, r.recent_failures) for r in rows]
    assert seen == [
        # Trouble first: a failure in the last 24 hours, or a last run that failed.
        (world.a, "master_data", "succeeded", 2),
        (world.b, "master_data", "failed", 1),
        (world.a, "invoices", "succeeded", 0),  # its failure is three days old
        (world.b, "hours", "succeeded", 0),
    ]
    html = operator.get(URL).content.decode()
    assert html.count('class="trouble"') >= 2 and "master_data" in html


def test_companies_whose_key_tripletex_refuses_are_listed(operator, world):
    Connection.objects.create(tenant=world.b, state=Connection.State.NEEDS_TOKEN, token_refused_at=timezone.now())
    Connection.objects.create(tenant=world.a, state=Connection.State.ACTIVE)
    html = operator.get(URL).content.decode()
    refused = html.split('data-testid="refused"', 1)[1].split("</ul>", 1)[0]
    assert world.b.name in refused and world.a.name not in refused


def test_only_the_platform_operator_sees_the_page(world):
    assert Client().get(URL).url.startswith("/logg-inn/")
    world.alice.is_staff = True  # a company's own staff: their company's admin, not every company's
    world.alice.save()
    assert world.client_for(world.alice, world.a).get(URL).status_code == 403
    assert world.client_for(world.bob, world.b).get(URL).status_code == 403
