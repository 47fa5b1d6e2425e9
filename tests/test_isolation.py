"""Every URL of the project, asked for as bob (admin of B) with A's objects, must not show or change them.

A new view is covered without writing a test: its URL is found here. A URL parameter this test does
not know fails the test, so whoever adds one says which of A's objects it takes.
"""
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Parts of the site that are not ours or are not tenant data.
SKIP_PREFIXES = ("admin/", "i18n/", "static/")

# URL parameter name → how to get A's object id for it from the `hr_a` fixture (and friends).
# Parameters that name no object (a wizard step, a list kind) are in NOT_OBJECTS: bob gets his own.
PARAMS = {
    "entry_id": lambda objs: objs["entry"].id,
    "employee_id": lambda objs: objs["employee"].id,
    "project_id": lambda objs: objs["project"].id,
    "customer_id": lambda objs: objs["customer"].id,
    "run_id": lambda objs: objs["run"].id,
    "record_id": lambda objs: objs["record"].id,
    "kind": lambda objs: "project",
    "step": lambda objs: "prosjekter",
    "task_id": lambda objs: objs["run"].id,
    # Tripletex's webhook address for A: bob holds no secret for it, so he is refused.
    "key": lambda objs: objs["connection"].webhook_key,
    "link_id": lambda objs: objs["link"].id,
    "connector": lambda objs: "master_data",
    "change_id": lambda objs: objs["remote_change"].id,
}

NOT_OBJECTS = {"kind", "step", "connector"}

A_MARKERS = ("Alfahemmelig", "Alfaansatt", "Alfaaktivitet", "Alfalønnsart", "Alfakunde")


def _walk(resolver, prefix=""):
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p, route)
        elif isinstance(p, URLPattern):
            yield route


def all_routes() -> list[str]:
    return sorted({r for r in _walk(get_resolver()) if not r.startswith(SKIP_PREFIXES)})


def fill(route: str, objs: dict) -> str:
    def sub(match):
        name = match.group(2)
        if name not in PARAMS:
            raise AssertionError(f"Unknown URL parameter <{name}> in {route!r}: add it to PARAMS in {__file__}")
        return str(PARAMS[name](objs))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sub, route)


@pytest.fixture
def a_objects(world, hr_a):
    from integrations.models import Connection, Link, RemoteChange, SyncRecord, SyncRun

    run = SyncRun.objects.create(tenant=world.a, kind=SyncRun.Kind.ACTIVATION)
    record = SyncRecord.objects.create(tenant=world.a, run=run, object_kind="project", action="created", label="Alfahemmelig")
    connection = Connection.objects.create(tenant=world.a, state=Connection.State.ACTIVE, employee_token="alfa-token",
                                           tripletex_company_id=1, webhook_secret="alfa-webhook-secret")
    link = Link.objects.create(tenant=world.a, kind=Link.Kind.PROJECT, local_id=hr_a["project"].id,
                               tripletex_company_id=1, tripletex_id=1, state=Link.State.BROKEN)
    remote_change = RemoteChange.objects.create(
        tenant=world.a, kind="project", tripletex_company_id=1, tripletex_id=1, change="new", label="Alfahemmelig",
    )
    return {**hr_a, "run": run, "record": record, "connection": connection, "link": link,
            "remote_change": remote_change}


def test_routes_are_found():
    routes = all_routes()
    assert "timeliste/" in routes and "selskapsinnstillinger/" in routes


@pytest.mark.parametrize("route", all_routes())
def test_bob_cannot_see_or_change_company_a_through(route, world, a_objects):
    client = world.client_for(world.bob, world.b)
    url = fill(route, a_objects)
    has_params = any(name not in NOT_OBJECTS for name in re.findall(r"<(?:\w+:)?(\w+)>", route))
    entry = a_objects["entry"]
    before = (entry.status, entry.hours, entry.updated_at)
    registers = [a_objects[name] for name in ("project", "customer", "employee")]
    registers_before = [obj.updated_at for obj in registers]

    for method in ("get", "post"):
        response = getattr(client, method)(url, {"entries": [entry.id], "action": "approve"} if method == "post" else None)
        body = response.content.decode(errors="replace")
        if has_params:
            assert response.status_code in (403, 404, 405), f"{method.upper()} {url} gave {response.status_code}"
        else:
            assert response.status_code < 500, f"{method.upper()} {url} gave {response.status_code}"
        for marker in A_MARKERS:
            assert marker not in body, f"{method.upper()} {url} shows company A's {marker}"

    entry.refresh_from_db()
    assert (entry.status, entry.hours, entry.updated_at) == before
    for obj in registers:
        obj.refresh_from_db()
    assert [obj.updated_at for obj in registers] == registers_before
