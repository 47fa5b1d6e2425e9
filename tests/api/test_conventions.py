"""What every part of the API does alike: cursor pages, `updated_since`, ordering, a 400 naming a bad filter,
`Idempotency-Key` on POST, and a rate limit per key with 429 and Retry-After."""
import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_scopes import scope

from api import services
from api.models import IdempotencyKey
from hr.models import Employee
from tests.factories import EmployeeFactory

from .conftest import api_client

pytestmark = pytest.mark.django_db

EMPLOYEES = "/api/v1/employees/"


def test_lists_come_in_cursor_pages_with_every_row_once(world, api_a):
    made = [EmployeeFactory(tenant=world.a).id for _ in range(5)]
    seen, url, pages = [], EMPLOYEES + "?page_size=2", 0
    while url:
        body = api_a.get(url).json()
        seen += [e["id"] for e in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == sorted(made) and pages == 3


def test_a_row_added_while_paging_does_not_shift_the_pages(world, api_a):
    first = [EmployeeFactory(tenant=world.a).id for _ in range(4)]
    page = api_a.get(EMPLOYEES, {"page_size": 2, "ordering": "-id"}).json()
    EmployeeFactory(tenant=world.a)
    rest = api_a.get(page["next"]).json()
    assert [e["id"] for e in page["results"] + rest["results"]] == sorted(first, reverse=True)


def test_a_bad_cursor_is_a_404_not_a_500(world, api_a):
    response = api_a.get(EMPLOYEES, {"cursor": "not-a-cursor"})
    assert response.status_code == 404 and "detail" in response.json()


def test_updated_since_lists_only_rows_changed_since(world, api_a):
    with scope(tenant=world.a):
        old = EmployeeFactory(tenant=world.a, first_name="Gammel")
        Employee.objects.filter(id=old.id).update(updated_at=timezone.now() - dt.timedelta(days=2))
        since = timezone.now() - dt.timedelta(days=1)
        EmployeeFactory(tenant=world.a, first_name="Ny")
        names = [e["first_name"] for e in api_a.get(EMPLOYEES, {"updated_since": since.isoformat()}).json()["results"]]
        assert names == ["Ny"]


def test_a_deactivated_employee_shows_up_as_changed(world, api_a):
    """A script that follows changes must see a "delete" too: lists show inactive and deleted rows."""
    employee = EmployeeFactory(tenant=world.a)
    since = timezone.now()
    api_a.delete(f"{EMPLOYEES}{employee.id}/")
    [changed] = api_a.get(EMPLOYEES, {"updated_since": since.isoformat()}).json()["results"]
    assert (changed["id"], changed["active"]) == (employee.id, False)


def test_lists_are_ordered_by_a_named_field(world, api_a):
    for name in ("Berit", "Anne", "Cato"):
        EmployeeFactory(tenant=world.a, first_name=name)
    names = [e["first_name"] for e in api_a.get(EMPLOYEES, {"ordering": "-first_name"}).json()["results"]]
    assert names == ["Cato", "Berit", "Anne"]


def test_a_bad_filter_is_a_400_naming_it(world, api_a):
    response = api_a.get(EMPLOYEES, {"updated_since": "i går", "active": "kanskje"})
    assert response.status_code == 400 and set(response.json()) == {"updated_since", "active"}


# Idempotency-Key

def post_employee(client, key="opprett-kari-1", **body):
    return client.post(EMPLOYEES, {"first_name": "Kari", **body}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_repeated_post_gives_the_first_answer_and_creates_once(world, api_a):
    with scope(tenant=world.a):
        first = post_employee(api_a)
        again = post_employee(api_a)
        assert first.status_code == again.status_code == 201
        assert again.content == first.content
        assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
        assert Employee.objects.filter(tenant=world.a).count() == 1


def test_the_same_key_with_another_body_is_a_422(world, api_a):
    with scope(tenant=world.a):
        post_employee(api_a)
        response = post_employee(api_a, last_name="Annen")
        assert response.status_code == 422
        assert Employee.objects.filter(tenant=world.a).count() == 1


def test_the_same_key_on_another_path_is_a_422(world, api_a):
    post_employee(api_a)
    response = api_a.post("/api/v1/customers/", {"first_name": "Kari"}, format="json",
                          HTTP_IDEMPOTENCY_KEY="opprett-kari-1")
    assert response.status_code == 422


def test_without_a_key_a_post_does_its_work_every_time(world, api_a):
    with scope(tenant=world.a):
        api_a.post(EMPLOYEES, {"first_name": "Kari"}, format="json")
        api_a.post(EMPLOYEES, {"first_name": "Kari"}, format="json")
        assert Employee.objects.filter(tenant=world.a).count() == 2


def test_keys_are_per_api_key(world, api_a):
    with scope(tenant=world.a):
        _row, other_key = services.api_key_create(tenant=world.a, name="Annet system")
        post_employee(api_a)
        assert post_employee(api_client(other_key)).status_code == 201
        assert Employee.objects.filter(tenant=world.a).count() == 2


def test_a_refused_post_is_answered_the_same_again(world, api_a):
    first = api_a.post(EMPLOYEES, {"first_name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="tom")
    again = api_a.post(EMPLOYEES, {"first_name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="tom")
    assert first.status_code == again.status_code == 400 and again.content == first.content


def test_an_expired_key_does_the_work_again(world, api_a):
    with scope(tenant=world.a):
        post_employee(api_a)
        IdempotencyKey.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
        assert "Idempotent-Replayed" not in post_employee(api_a)
        assert Employee.objects.filter(tenant=world.a).count() == 2


def test_a_key_longer_than_255_characters_is_a_400_and_nothing_is_done(world, api_a):
    with scope(tenant=world.a):
        response = post_employee(api_a, key="x" * 256)
        assert response.status_code == 400 and list(response.json()) == ["Idempotency-Key"]
        assert not Employee.objects.filter(tenant=world.a).exists()
        assert not IdempotencyKey.objects.exists()


def test_a_request_that_loses_a_race_for_its_key_undoes_its_work_and_gives_the_winners_answer(
    world, api_a, key_a, monkeypatch,
):
    """Two requests with one key at once: both miss the kept answer, the first to commit keeps its own."""
    with scope(tenant=world.a):
        winner = post_employee(api_a)
        # As if the winner had not committed:
        monkeypatch.setattr(services, "idempotency_key_find", lambda **kwargs: None)
        loser = post_employee(api_a)
        assert loser.status_code == 201 and loser.content == winner.content and loser["Idempotent-Replayed"] == "true"
        assert Employee.objects.filter(tenant=world.a).count() == 1


def test_expired_answers_are_pruned(world, api_a):
    with scope(tenant=world.a):
        post_employee(api_a)
        post_employee(api_a, key="ny")
        IdempotencyKey.objects.filter(key="ny").update(expires_at=timezone.now() - dt.timedelta(seconds=1))
        assert services.idempotency_keys_prune() == 1
        assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["opprett-kari-1"]


# Rate limit

def test_a_key_over_its_rate_is_told_when_to_come_back(world, api_a, api_b, settings):
    settings.API_RATE_LIMIT = "3/min"
    cache.clear()
    assert [api_a.get(EMPLOYEES).status_code for _ in range(3)] == [200, 200, 200]
    response = api_a.get(EMPLOYEES)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "detail" in response.json()
    assert api_b.get(EMPLOYEES).status_code == 200  # another key has its own count


def test_an_unknown_list_parameter_is_a_400_naming_it(world, api_a):
    response = api_a.get(EMPLOYEES, {"updated_snce": "2026-01-01T00:00:00Z"})
    assert response.status_code == 400 and response.json() == {"updated_snce": ["Ukjent parameter."]}


def test_a_list_parameter_given_twice_is_a_400_naming_it(world, api_a):
    """Only one of the values would be used, and the script would not know which (found by schemathesis)."""
    response = api_a.get(f"{EMPLOYEES}?page_size=abc&page_size=5")
    assert response.status_code == 400 and response.json() == {"page_size": ["Oppgi parameteren bare én gang."]}
    assert api_a.get(f"{EMPLOYEES}?page_size=5").status_code == 200


def test_an_unknown_address_under_the_api_is_a_json_404(world, api_a):
    response = api_a.get("/api/v1/employees/ikke-et-tall/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
