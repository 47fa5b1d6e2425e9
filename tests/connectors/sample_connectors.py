"""Two small connectors of the tests' own, and a company connected to its own company in the fake Tripletex.

`sample` reads projects from Tripletex and logs two as created and one as skipped by a rule; its remote and
local handlers note what they were given. `failing` asks Tripletex for a project that does not exist, so its
run fails with Tripletex's own message. Import the fixtures by name into a test module to use them.
"""
import itertools

import pytest
from django import forms
from django_scopes import scopes_disabled

from config import celery_app
from integrations.connectors import activation, registry
from integrations.connectors.base import Connector
from integrations.models import Connection, ConnectorConfig, Link, SyncRecord

SEEN: list[tuple] = []
_names = itertools.count(1)


class SampleOptions(forms.Form):
    days_back = forms.IntegerField(label="Dager tilbake", min_value=1, max_value=365, initial=30)
    include_internal = forms.BooleanField(label="Ta med interne prosjekter", required=False, initial=False)


def _reconcile(ctx):
    projects = ctx.client.project_list(fields="id,number,name")[:3]
    for i, project in enumerate(projects):
        skipped = i == 2
        ctx.record(kind=Link.Kind.PROJECT, direction=SyncRecord.Direction.FROM_TRIPLETEX, tripletex_id=project["id"],
                   action=SyncRecord.Action.SKIPPED if skipped else SyncRecord.Action.CREATED,
                   label=f"{project['number']} {project['name']}", rule=activation.SKIP_NO_START if skipped else "")


def _remote(ctx, kind, tripletex_id, event):
    SEEN.append(("remote", ctx.tenant.id, kind, tripletex_id, event, ctx.run.trigger))
    ctx.record(kind=kind, action=SyncRecord.Action.UPDATED, direction=SyncRecord.Direction.FROM_TRIPLETEX,
               tripletex_id=tripletex_id, label="lest på nytt")


def _local(ctx, change):
    SEEN.append(("local", ctx.tenant.id, change.kind, change.local_id))


def _reconcile_failing(ctx):
    ctx.client.project_get(987654321, fields="id")


SAMPLE = Connector(
    name="sample", title="Testkobling", description="Leser prosjekter fra Tripletex for testene.",
    options_form=SampleOptions, kinds=(Link.Kind.PROJECT,), rules=("Prosjekter uten startdato hoppes over",),
    handle_local_change=_local, handle_remote_change=_remote, reconcile=_reconcile,
)
FAILING = Connector(name="failing", title="Feilende kobling", description="Spør etter et prosjekt som ikke finnes.",
                    reconcile=_reconcile_failing)


@pytest.fixture
def sample(monkeypatch):
    registry.all_connectors()  # the product's own connectors first, as in a running app
    monkeypatch.setitem(registry._CONNECTORS, SAMPLE.name, SAMPLE)
    SEEN.clear()
    return SAMPLE


@pytest.fixture
def failing(monkeypatch):
    registry.all_connectors()
    monkeypatch.setitem(registry._CONNECTORS, FAILING.name, FAILING)
    return FAILING


@pytest.fixture
def tripletex(settings, fake_tripletex):
    """The app pointed at the fake Tripletex, with tasks run in-process when their transaction commits."""
    settings.TRIPLETEX_BASE_URL = fake_tripletex.base_url
    settings.TRIPLETEX_CONSUMER_TOKEN = fake_tripletex.consumer_token
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield fake_tripletex
    celery_app.conf.task_always_eager = before


@pytest.fixture
def tripletex_company(tripletex):
    """A small company of its own in the fake, with a GrønnJobb key."""
    return tripletex.create_company(f"Kobling {next(_names)} AS", applications=["GrønnJobb"], employees=4, projects=4,
                                    wage_types=2)


@pytest.fixture
def connected(world, tripletex_company):
    """Company A's Tripletex connection, active."""
    return Connection.objects.create(
        tenant=world.a, state=Connection.State.ACTIVE, employee_token=tripletex_company["employee_tokens"]["GrønnJobb"],
        tripletex_company_id=tripletex_company["id"], tripletex_company_name=tripletex_company["name"],
    )


@scopes_disabled()  # test setup, as a fixture would build it
def switch_on(tenant, name: str, **options) -> ConnectorConfig:
    defaults = {"enabled": True, "options": options}
    return ConnectorConfig.objects.update_or_create(tenant=tenant, name=name, defaults=defaults)[0]
