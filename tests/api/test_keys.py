"""API keys: a key acts for one company only, is stored as a hash, can be read-only, and can be revoked;
admins make them on API-nøkler or with `create_api_key`."""
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from api.models import TenantAPIKey
from api.services import api_key_create, api_key_revoke
from tests.factories import EmployeeFactory

from .conftest import api_client

pytestmark = pytest.mark.django_db

EMPLOYEES = "/api/v1/employees/"


def test_a_request_without_a_key_is_401_and_names_the_scheme(client, world):
    response = client.get(EMPLOYEES)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_logged_in_user_without_a_key_is_not_let_in(world):
    assert world.client_for(world.alice, world.a).get(EMPLOYEES).status_code == 401


def test_a_wrong_key_is_401(world, key_a):
    prefix = key_a.split(".")[0]
    assert api_client(f"{prefix}.not-the-secret").get(EMPLOYEES).status_code == 401
    assert api_client("nonsense").get(EMPLOYEES).status_code == 401


def test_a_key_is_stored_only_as_a_hash(world, key_a):
    with scope(tenant=world.a):
        row = TenantAPIKey.objects.get(tenant=world.a)
        secret = key_a.split(".", 1)[1]
        assert all(secret not in str(getattr(row, f.attname)) for f in TenantAPIKey._meta.fields)


def test_a_key_sees_only_its_own_companys_rows(world, api_a):
    EmployeeFactory(tenant=world.a, first_name="Alfaperson")
    other = EmployeeFactory(tenant=world.b, first_name="Betaperson")
    names = [e["first_name"] for e in api_a.get(EMPLOYEES).json()["results"]]
    assert names == ["Alfaperson"]
    assert api_a.get(f"{EMPLOYEES}{other.id}/").status_code == 404
    assert api_a.patch(f"{EMPLOYEES}{other.id}/", {"first_name": "X"}, format="json").status_code == 404
    other.refresh_from_db()
    assert other.first_name == "Betaperson"


def test_another_companys_row_named_in_a_body_does_not_exist(world, api_a, hr_a):
    theirs = EmployeeFactory(tenant=world.b)
    response = api_a.post("/api/v1/time-entries/", {
        "employee": theirs.id, "date": "2026-11-17", "hours": "2", "project": hr_a["project"].id,
        "activity": hr_a["activity"].id,
    }, format="json")
    assert response.status_code == 400 and list(response.json()) == ["employee"]


def test_a_read_only_key_reads_but_cannot_write(world):
    _row, key = api_key_create(tenant=world.a, name="Rapporter", read_only=True)
    reader = api_client(key)
    assert reader.get(EMPLOYEES).status_code == 200
    response = reader.post(EMPLOYEES, {"first_name": "Ny"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "API-nøkkelen har bare lesetilgang."}


def test_a_revoked_key_stops_working_at_once(world, key_a, api_a):
    with scope(tenant=world.a):
        assert api_a.get(EMPLOYEES).status_code == 200
        api_key_revoke(tenant=world.a, api_key=TenantAPIKey.objects.get(tenant=world.a))
        assert api_a.get(EMPLOYEES).status_code == 401


def test_the_last_use_of_a_key_is_recorded(world, api_a):
    with scope(tenant=world.a):
        assert TenantAPIKey.objects.get(tenant=world.a).last_used_at is None
        api_a.get(EMPLOYEES)
        assert TenantAPIKey.objects.get(tenant=world.a).last_used_at is not None


# The API-nøkler page.

KEYS = reverse("api_keys:list")


def test_an_admin_makes_a_key_on_the_page_and_sees_it_once(world):
    with scope(tenant=world.a):
        admin = world.client_for(world.alice, world.a)
        response = admin.post(KEYS, {"name": "Lønnssystemet", "scope": "read_only"})
        assert response.status_code == 201  # made, as a redirect would say; the fuzzer tells it from a refusal
        page = response.content.decode()
        key = re.search(r'data-testid="key">([^<]+)<', page).group(1)
        assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]
        row = TenantAPIKey.objects.get(tenant=world.a)
        assert (row.name, row.scope, row.created_by) == ("Lønnssystemet", "read_only", world.alice)
        assert api_client(key).get(EMPLOYEES).status_code == 200
        assert key not in admin.get(KEYS).content.decode()


def test_a_key_needs_a_name(world):
    response = world.client_for(world.alice, world.a).post(KEYS, {"name": "  ", "scope": "read_write"})
    assert response.status_code == 200
    with scopes_disabled():  # in no company
        assert "field-error" in response.content.decode() and not TenantAPIKey.objects.exists()


def test_an_admin_revokes_a_key_on_the_page(world, key_a):
    with scope(tenant=world.a):
        row = TenantAPIKey.objects.get(tenant=world.a)
        alice = world.client_for(world.alice, world.a)
        response = alice.post(reverse("api_keys:revoke", args=[row.prefix]), follow=True)
        assert "er tilbakekalt" in response.content.decode()
        row.refresh_from_db()
        assert row.revoked and row.revoked_at is not None
        assert api_client(key_a).get(EMPLOYEES).status_code == 401


def test_the_page_lists_the_companys_keys_with_their_last_use(world, key_a, api_a, key_b):
    api_a.get(EMPLOYEES)
    page = world.client_for(world.alice, world.a).get(KEYS).content.decode()
    assert "Lønnssystemet" in page and "Betasystemet" not in page
    assert "aldri" not in page.split("<tbody>")[1].split("</tbody>")[0]


def test_only_admins_reach_the_api_keys_page(world):
    carol = world.client_for(world.carol, world.a)
    assert carol.get(KEYS).status_code == 403
    assert carol.post(KEYS, {"name": "Snik", "scope": "read_write"}).status_code == 403
    with scopes_disabled():  # in no company
        assert not TenantAPIKey.objects.exists()


# The command.

def test_create_api_key_prints_the_key_alone_on_its_last_line(world, capsys):
    call_command("create_api_key", "--tenant", world.a.slug, "--name", "Skript")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert api_client(key).get(EMPLOYEES).status_code == 200
    with scope(tenant=world.a):
        assert TenantAPIKey.objects.get(tenant=world.a).scope == TenantAPIKey.Scope.READ_WRITE


def test_create_api_key_read_only(world, capsys):
    call_command("create_api_key", "--tenant", world.a.slug, "--name", "Skript", "--read-only")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert api_client(key).post(EMPLOYEES, {"first_name": "Ny"}, format="json").status_code == 403


def test_create_api_key_for_an_unknown_company_exits_with_2(world):
    with pytest.raises(CommandError) as raised:
        call_command("create_api_key", "--tenant", "finnes-ikke", "--name", "Skript")
    assert raised.value.returncode == 2
    with scopes_disabled():  # in no company
        assert not TenantAPIKey.objects.exists()
