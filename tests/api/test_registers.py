"""Employees, customers and projects through the API: the same services as the pages, so the same rules and
the same queueing of each change for the two-way connector; activities and wage types are read-only."""
import pytest
from django_scopes import scope

from hr.models import Customer, Employee, Project
from integrations.models import OutboundChange
from tests.factories import ActivityFactory, CustomerFactory, EmployeeFactory, ProjectFactory, WageTypeFactory

pytestmark = pytest.mark.django_db


def pending(tenant) -> list[tuple[str, int, str]]:
    return list(OutboundChange.objects.filter(tenant=tenant, state=OutboundChange.State.PENDING)
                .order_by("id").values_list("kind", "local_id", "op"))


def test_creating_a_project_queues_it_for_the_two_way_connector(world, api_a, two_way):
    with scope(tenant=world.a):
        customer = CustomerFactory(tenant=world.a)
        manager = EmployeeFactory(tenant=world.a)
        response = api_a.post("/api/v1/projects/", {
            "number": "4711", "name": "  Nybygg  ", "start_date": "2026-01-01", "customer": customer.id,
            "project_manager": manager.id,
        }, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        project = Project.objects.get(id=body["id"], tenant=world.a)
        assert (project.name, project.customer, project.project_manager) == ("Nybygg", customer, manager)
        assert body["name"] == "Nybygg" and body["customer"] == customer.id and body["status"] == "active"
        assert pending(world.a) == [("project", project.id, "upsert")]


def test_changing_a_project_changes_only_the_fields_sent(world, api_a, two_way):
    with scope(tenant=world.a):
        project = ProjectFactory(tenant=world.a, name="Gammelt navn", number="1")
        response = api_a.patch(f"/api/v1/projects/{project.id}/", {"name": "Nytt navn"}, format="json")
        assert response.status_code == 200
        project.refresh_from_db()
        assert (project.name, project.number) == ("Nytt navn", "1")
        assert pending(world.a) == [("project", project.id, "upsert")]


def test_a_project_refuses_to_be_its_own_sub_project(world, api_a):
    main = ProjectFactory(tenant=world.a)
    sub = ProjectFactory(tenant=world.a, parent=main)
    response = api_a.patch(f"/api/v1/projects/{main.id}/", {"parent": sub.id}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["parent"]


def test_deleting_a_project_marks_it_deleted_and_keeps_the_row(world, api_a, two_way):
    with scope(tenant=world.a):
        project = ProjectFactory(tenant=world.a)
        assert api_a.delete(f"/api/v1/projects/{project.id}/").status_code == 204
        project.refresh_from_db()
        assert project.status == Project.Status.DELETED
        assert api_a.get(f"/api/v1/projects/{project.id}/").json()["status"] == "deleted"
        assert pending(world.a) == [("project", project.id, "delete")]


def test_deleting_a_customer_marks_it_deleted_and_keeps_the_row(world, api_a):
    customer = CustomerFactory(tenant=world.a)
    assert api_a.delete(f"/api/v1/customers/{customer.id}/").status_code == 204
    customer.refresh_from_db()
    assert customer.status == Customer.Status.DELETED


def test_deleting_an_employee_sets_them_inactive(world, api_a, two_way):
    with scope(tenant=world.a):
        employee = EmployeeFactory(tenant=world.a)
        assert api_a.delete(f"/api/v1/employees/{employee.id}/").status_code == 204
        employee.refresh_from_db()
        assert employee.active is False
        assert pending(world.a) == [("employee", employee.id, "upsert")]


def test_an_active_customer_cannot_be_set_inactive_while_two_way_sync_is_on(world, api_a, two_way):
    customer = CustomerFactory(tenant=world.a)
    response = api_a.patch(f"/api/v1/customers/{customer.id}/", {"status": "inactive"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"status": ["Tripletex tillater ikke at vi setter en kunde til inaktiv. Sett kunden "
                                          "inaktiv i Tripletex."]}
    customer.refresh_from_db()
    assert customer.status == Customer.Status.ACTIVE


def test_a_taken_employee_number_is_a_field_error(world, api_a):
    with scope(tenant=world.a):
        EmployeeFactory(tenant=world.a, employee_number="7")
        response = api_a.post("/api/v1/employees/", {"first_name": "Ny", "employee_number": "7"}, format="json")
        assert response.status_code == 400
        assert response.json() == {"employee_number": ["Ansattnummeret er allerede i bruk i selskapet."]}
        assert Employee.objects.filter(tenant=world.a).count() == 1


def test_validation_errors_are_in_norwegian_unless_english_is_asked_for(world, api_a):
    bad = {"name": "", "org_number": "123", "email": "ikke-epost"}
    norwegian = api_a.post("/api/v1/customers/", bad, format="json")
    english = api_a.post("/api/v1/customers/", bad, format="json", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert norwegian.status_code == english.status_code == 400
    assert norwegian["Content-Language"] == "nb" and english["Content-Language"] == "en"
    assert norwegian.json()["name"] == ["Dette feltet må ikke være blankt."]
    assert english.json()["name"] == ["This field may not be blank."]
    assert set(norwegian.json()) == set(english.json()) == {"name", "email"}


def test_a_service_rule_is_translated_too(world, api_a):
    response = api_a.post("/api/v1/customers/", {"name": "Kunde", "currency": "kr1"}, format="json",
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    [message] = response.json()["currency"]
    assert message == "Enter the currency as a three-letter currency code, for example NOK."


def test_a_body_that_is_not_an_object_is_a_400(world, api_a):
    response = api_a.post("/api/v1/employees/", ["Kari"], format="json")
    assert response.status_code == 400 and "non_field_errors" in response.json()


def test_activities_and_wage_types_are_read_only(world, api_a):
    activity = ActivityFactory(tenant=world.a, name="Montering")
    wage_type = WageTypeFactory(tenant=world.a, number="1000", name="Fastlønn")
    assert [a["name"] for a in api_a.get("/api/v1/activities/").json()["results"]] == ["Montering"]
    assert api_a.get(f"/api/v1/wage-types/{wage_type.id}/").json()["number"] == "1000"
    assert api_a.post("/api/v1/activities/", {"name": "Ny"}, format="json").status_code == 405
    assert api_a.delete(f"/api/v1/activities/{activity.id}/").status_code == 405
    assert api_a.patch(f"/api/v1/wage-types/{wage_type.id}/", {"name": "X"}, format="json").status_code == 405


def test_text_is_taken_only_as_a_string(world, api_a):
    with scope(tenant=world.a):
        response = api_a.post("/api/v1/employees/", {"first_name": "Kari", "employee_number": 1e-147}, format="json")
        assert response.status_code == 400 and list(response.json()) == ["employee_number"]
        assert not Employee.objects.filter(tenant=world.a).exists()
