"""Isolation and roles as a matrix: every URL of the project, as every role of both companies.

The routes come from the URL conf (as tests/test_isolation.py finds them), and each page's roles from its
`tenant_required` decorator, so a new page is asked for by everyone without writing a test:
- another company's admin, manager and employee get a 404 for A's objects (the same answer as for an id
  that does not exist), or the 403 their role gets on any id; pages without an object show nothing of A;
- in A, an employee gets a 403 on manager and admin pages, a manager on admin pages;
- no refused request changes anything, and without a login every page sends to the login page.
Pages that are not a company's (login, choosing a company, Tripletex's webhook address) are listed here
with why, and tested below on their own terms.
"""
import re

import pytest
from django.test import Client
from django.urls import resolve

from tenants.models import Membership
from tests.test_isolation import A_MARKERS, NOT_OBJECTS, all_routes, fill

from .db import everything, of_company

# Route → why it is not a company's page. Every other route must carry `tenant_required`.
NOT_TENANT_PAGES = {
    "logg-inn/": "the login page, for people not logged in",
    "logg-ut/": "logging out ends the session, whatever company it is in",
    "selskap/velg/": "choosing among one's own companies (test_choosing_another_users_company_is_refused)",
    "webhooks/tripletex/<uuid:key>/": "Tripletex's address: no login, the secret decides (test_webhook_address_…)",
    "healthz": "the process probe for the load balancer: no company data (tests/test_health.py)",
    "readyz": "the readiness probe: says only which service answers (tests/test_health.py)",
    "drift/": "the operator's page across every company: superusers only (tests/ops/test_overview.py)",
    "integrasjoner/inventory/invitasjon/": "an invited employee chooses a password before they can log in; the "
                                           "signed token in the link decides (tests/connectors/test_inventory_startup.py)",
}

# Parts of the URL conf that are not pages behind a login, with why.
NOT_TENANT_PREFIXES = {
    "api/": "the REST API: a company's API key decides, not a login and a role; tests/test_isolation.py asks "
            "every endpoint with another company's key",
}

METHODS = ("get", "post")


class NoSuchObject:
    """Stands in for A's object in a URL: an id no row has."""

    id = 987654321


def object_params(route: str) -> list[str]:
    return [name for name in re.findall(r"<(?:\w+:)?(\w+)>", route) if name not in NOT_OBJECTS]


def tenant_routes() -> list[str]:
    return [r for r in all_routes() if r not in NOT_TENANT_PAGES and not r.startswith(tuple(NOT_TENANT_PREFIXES))]


def request(client: Client, method: str, url: str, objs: dict):
    data = {"entries": [objs["entry"].id], "action": "approve"} if method == "post" else None
    return getattr(client, method)(url, data)


def client_for(person) -> Client:
    client = Client()
    client.raise_request_exception = False
    client.force_login(person.user)
    session = client.session
    session["tenant_id"] = person.tenant.id
    session.save()
    return client


def test_every_route_is_a_company_page_with_roles_or_listed_as_not_one():
    unmarked = [r for r in tenant_routes() if not hasattr(resolve(fill_any(r)).func, "tenant_roles")]
    assert unmarked == [], "add @tenant_required to these views, or list them in NOT_TENANT_PAGES with why"
    assert set(NOT_TENANT_PAGES) <= set(all_routes()), "NOT_TENANT_PAGES names a route that is gone"


def fill_any(route: str) -> str:
    """A URL that resolves to the route's view, with placeholder values."""
    values = {"int": "1", "slug": "x", "str": "x", "uuid": "00000000-0000-0000-0000-000000000000"}
    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: values[m.group(1) or "str"], route)


@pytest.mark.parametrize("route", tenant_routes())
def test_every_role_of_both_companies_gets_what_its_role_allows_and_nothing_of_another_company(
    route, world, people, a_rows,
):
    url = fill(route, a_rows)
    roles = resolve(url).func.tenant_roles
    params = object_params(route)
    unknown_url = fill(route, {**a_rows, **{p: NoSuchObject() for p in params}})

    anonymous = Client()
    for method in METHODS:
        before = everything()
        response = request(anonymous, method, url, a_rows)
        assert response.status_code == 405 or (
            response.status_code == 302 and response.url.startswith("/logg-inn/")
        ), f"{method.upper()} {url} without a login gave {response.status_code}"
        assert everything() == before

    for name, person in people.items():
        client = client_for(person)
        allowed = person.role in roles
        for method in METHODS:
            before = everything()
            response = request(client, method, url, a_rows)
            status, where = response.status_code, f"{method.upper()} {url} as {name} ({person.role})"
            assert status < 500, f"{where} gave {status}"
            if status == 405:
                continue  # the page does not take this method, whoever asks
            if not allowed:
                assert status == 403, f"{where} gave {status}, not 403 for a {person.role}"
            elif person.tenant == world.b and params:
                assert status == 404, f"{where} gave {status}, not 404 for another company's object"
                unknown = request(client, method, unknown_url, a_rows).status_code
                assert unknown == 404, f"{where}: an id that does not exist gave {unknown}"
            else:
                assert status != 403, f"{where} refused a {person.role}, whom the page's decorator allows"
            if person.tenant == world.b:
                body = response.content.decode(errors="replace")
                assert not [m for m in A_MARKERS if m in body], f"{where} shows company A's data"
            after = everything()
            if not allowed or status == 404:
                assert after == before, f"{where} was refused but changed stored data"
            if person.tenant == world.b:
                assert of_company(after, world.a) == of_company(before, world.a), f"{where} changed company A's data"


def test_choosing_another_users_company_is_refused(world, people):
    client = client_for(people["bob"])
    response = client.post("/selskap/velg/", {"tenant": world.a.id})
    assert response.status_code == 400
    assert client.session["tenant_id"] == world.b.id
    assert "Alfa AS" not in client.get("/selskap/velg/").content.decode()


def test_a_chosen_company_the_user_has_no_membership_in_is_ignored(world, people):
    client = client_for(people["bob"])
    session = client.session
    session["tenant_id"] = world.a.id  # as if the session were tampered with
    session.save()
    page = client.get("/godkjenning/")
    assert page.status_code == 200 and "Alfaansatt" not in page.content.decode()


@pytest.mark.parametrize("who", [None, "alice", "bob"])
def test_webhook_address_takes_no_login_and_refuses_a_post_without_the_companys_secret(world, people, a_rows, who):
    client = client_for(people[who]) if who else Client()
    url = f"/webhooks/tripletex/{a_rows['connection'].webhook_key}/"
    before = everything()
    assert client.get(url).status_code == 405
    assert client.post(url, {"entries": [a_rows["entry"].id]}).status_code == 403
    assert client.post(url, b"{}", content_type="application/json",
                       headers={"Authorization": "Bearer alfa-token"}).status_code == 403
    assert everything() == before


def test_the_membership_roles_are_the_roles_the_decorators_name():
    from tenants.decorators import ALL_ROLES

    assert set(ALL_ROLES) == set(Membership.Role.values)


@pytest.mark.parametrize("route", [
    r for r in all_routes() if r != "webhooks/tripletex/<uuid:key>/" and not r.startswith(tuple(NOT_TENANT_PREFIXES))
])
def test_every_post_needs_the_csrf_token(route, world, a_rows):
    """A page of another site cannot post in the admin's name. Tripletex's webhook address is the exception:
    it takes no cookie, and the secret in its header decides."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    session = client.session
    session["tenant_id"] = world.a.id
    session.save()
    before = everything()
    response = request(client, "post", fill(route, a_rows), a_rows)
    assert response.status_code in (403, 405), f"POST /{route} without a CSRF token gave {response.status_code}"
    assert everything() == before


@pytest.mark.parametrize("who", [None, "bob"])
def test_the_language_switch_is_no_company_page_and_sends_back_to_this_site_only(world, people, who):
    client = client_for(people[who]) if who else Client()
    before = everything()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://angriper.example/"})
    assert response.status_code == 302 and not response.url.startswith("https://angriper.example")
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/timeliste/"}).url == "/timeliste/"
    assert everything() == before
