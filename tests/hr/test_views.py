"""The register pages: projects, customers and employees for admins and managers. The pages enter their
company's scope themselves; a test reads what they stored with scoping off."""
import datetime as dt

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from hr.models import Customer, Employee, Project, TimeEntry
from tenants.models import Membership
from tests.factories import (
    CustomerFactory, EmployeeFactory, MembershipFactory, ProjectFactory, TimeEntryFactory, UserFactory,
)

from .conftest import pending


@pytest.fixture
def alice(world):
    return world.client_for(world.alice, world.a)


def body(response) -> str:
    return response.content.decode()


PROJECT_POST = {
    "number": "1001", "name": "Nybygg Bryggen", "start_date": "2026-01-01", "end_date": "", "parent": "",
    "customer": "", "project_manager": "", "status": "active",
}
CUSTOMER_POST = {
    "customer_number": "10001", "name": "Fjordkaffe AS", "org_number": "923 609 016", "email": "post@fjordkaffe.no",
    "phone": "55 00 00 00", "address": "Bryggen 1", "postal_code": "5003", "city": "Bergen", "currency": "nok",
    "payment_terms_days": "14", "status": "active",
}
EMPLOYEE_POST = {"first_name": "Kari", "last_name": "Hansen", "email": "kari@alfa.no", "employee_number": "1002",
                 "active": "on"}

REGISTER_URLS = [
    ("hr:projects", None), ("hr:project_create", None), ("hr:project_edit", "project"),
    ("hr:project_delete", "project"), ("hr:customers", None), ("hr:customer_create", None),
    ("hr:customer_edit", "customer"), ("hr:customer_delete", "customer"), ("hr:employees", None),
    ("hr:employee_create", None), ("hr:employee_edit", "employee"), ("hr:employee_deactivate", "employee"),
]


def url_for(name: str, obj) -> str:
    return reverse(name, args=[obj.id]) if obj is not None else reverse(name)


@pytest.mark.parametrize(("name", "obj"), REGISTER_URLS)
def test_employees_may_not_open_the_register_pages(world, hr_a, name, obj):
    with scopes_disabled():
        carol = world.client_for(world.carol, world.a)
        url = url_for(name, hr_a[obj] if obj else None)
        assert carol.get(url).status_code == 403
        assert carol.post(url, {"name": "x"}).status_code == 403
        assert Project.objects.get(pk=hr_a["project"].pk).status == Project.Status.ACTIVE


@pytest.mark.parametrize(("name", "obj"), REGISTER_URLS)
def test_managers_may_open_the_register_pages(world, hr_a, name, obj):
    manager = UserFactory()
    MembershipFactory(user=manager, tenant=world.a, role=Membership.Role.MANAGER)
    response = world.client_for(manager, world.a).get(url_for(name, hr_a[obj] if obj else None))
    assert response.status_code == 200


def test_the_register_menu_is_shown_to_approvers_only(world, alice):
    assert "Register" in body(alice.get(reverse("hr:approvals")))
    assert 'href="/prosjekter/"' in body(alice.get(reverse("hr:approvals")))
    carol_page = body(world.client_for(world.carol, world.a).get(reverse("hr:timesheet")))
    assert 'href="/prosjekter/"' not in carol_page


def test_the_project_list_shows_the_companys_projects_each_linking_to_its_edit_page(world, alice, hr_a):
    ProjectFactory(tenant=world.b, name="Betaprosjekt")
    page = body(alice.get(reverse("hr:projects")))
    assert "Alfahemmelig prosjekt" in page and "Betaprosjekt" not in page
    assert reverse("hr:project_edit", args=[hr_a["project"].id]) in page


def test_the_project_list_sorts_numbers_as_numbers(world, alice):
    for number in ("10", "9", "100", ""):
        ProjectFactory(tenant=world.a, number=number, name=f"P{number or 'uten'}")
    page = body(alice.get(reverse("hr:projects")))
    positions = [page.index(f">P{n}<") for n in ("9", "10", "100", "uten")]
    assert positions == sorted(positions)


def test_the_project_list_sorts_by_name_when_asked(world, alice):
    ProjectFactory(tenant=world.a, number="1", name="Zulu")
    ProjectFactory(tenant=world.a, number="2", name="Alfa")
    page = body(alice.get(reverse("hr:projects"), {"sort": "name"}))
    assert page.index(">Alfa<") < page.index(">Zulu<")


def test_the_project_list_searches_number_name_and_customer(world, alice):
    customer = CustomerFactory(tenant=world.a, name="Fjordkaffe AS")
    ProjectFactory(tenant=world.a, number="4711", name="Bryggen", customer=customer)
    ProjectFactory(tenant=world.a, number="4712", name="Storgata")
    assert ">Bryggen<" in body(alice.get(reverse("hr:projects"), {"q": "fjordkaffe"}))
    page = body(alice.get(reverse("hr:projects"), {"q": "4711"}))
    assert ">Bryggen<" in page and ">Storgata<" not in page


def test_the_project_list_hides_deleted_projects_unless_asked(world, alice):
    ProjectFactory(tenant=world.a, name="Borte", status=Project.Status.DELETED)
    ProjectFactory(tenant=world.a, name="Ferdig", status=Project.Status.COMPLETED)
    default = body(alice.get(reverse("hr:projects")))
    assert ">Ferdig<" in default and ">Borte<" not in default
    deleted = body(alice.get(reverse("hr:projects"), {"status": "deleted"}))
    assert ">Borte<" in deleted and ">Ferdig<" not in deleted
    assert ">Borte<" in body(alice.get(reverse("hr:projects"), {"status": "all"}))


def test_the_lists_show_fifty_rows_a_page(world, alice):
    for i in range(51):
        CustomerFactory(tenant=world.a, customer_number=str(1000 + i), name=f"Kunde{i:02d}")
    first = body(alice.get(reverse("hr:customers")))
    assert first.count('href="/kunder/') - first.count('href="/kunder/ny/"') - first.count('href="/kunder/"') == 50
    assert "Side 1 av 2" in first and ">Kunde50<" not in first
    second = body(alice.get(reverse("hr:customers"), {"side": "2"}))
    assert ">Kunde50<" in second


@pytest.mark.parametrize("query", [
    {"side": "999999999999999999999"}, {"side": "٣"}, {"side": "x"}, {"status": "nonsense"}, {"sort": "'; drop"},
    {"q": "x" * 500},
])
def test_odd_list_parameters_show_a_list_not_an_error(alice, hr_a, query):
    assert alice.get(reverse("hr:projects"), query).status_code == 200


def test_creating_a_project_stores_it_and_queues_it_for_tripletex(world, alice, two_way):
    with scopes_disabled():
        response = alice.post(reverse("hr:project_create"), PROJECT_POST)
        assert response.status_code == 302 and response.url == reverse("hr:projects")
        project = Project.objects.get(tenant=world.a, number="1001")
        assert project.name == "Nybygg Bryggen" and project.start_date == dt.date(2026, 1, 1)
        assert pending(world.a) == [("project", project.id, "upsert")]


def test_editing_a_project_saves_it(world, alice, hr_a):
    project = hr_a["project"]
    customer = hr_a["customer"]
    response = alice.post(reverse("hr:project_edit", args=[project.id]), {
        **PROJECT_POST, "name": "Nytt navn", "customer": customer.id, "status": "completed",
    })
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.name, project.customer, project.status) == ("Nytt navn", customer, Project.Status.COMPLETED)


def test_a_project_without_a_name_gets_a_form_error(world, alice):
    with scopes_disabled():
        response = alice.post(reverse("hr:project_create"), {**PROJECT_POST, "name": " "})
        assert response.status_code == 200 and "Prosjektet må ha et navn." in body(response)
        assert not Project.objects.filter(tenant=world.a).exists()


def test_a_parent_from_another_company_gets_a_form_error(world, alice, hr_a):
    with scopes_disabled():
        other = ProjectFactory(tenant=world.b, name="Betaprosjekt")
        response = alice.post(reverse("hr:project_edit", args=[hr_a["project"].id]), {**PROJECT_POST, "parent": other.id})
        assert response.status_code == 200 and 'class="field-error"' in body(response)
        assert Project.objects.get(pk=hr_a["project"].pk).parent is None


def test_a_project_cannot_be_its_own_parent(alice, hr_a):
    project = hr_a["project"]
    response = alice.post(reverse("hr:project_edit", args=[project.id]), {**PROJECT_POST, "parent": project.id})
    assert response.status_code == 200 and 'class="field-error"' in body(response)


def test_a_project_cannot_become_a_sub_project_of_its_own_sub_project(world, alice, hr_a):
    project = hr_a["project"]
    sub = ProjectFactory(tenant=world.a, parent=project)
    response = alice.post(reverse("hr:project_edit", args=[project.id]), {**PROJECT_POST, "parent": sub.id})
    assert response.status_code == 200 and "underprosjekt av seg selv" in body(response)


def test_the_project_form_says_which_projects_are_not_sent_to_tripletex(alice):
    page = body(alice.get(reverse("hr:project_create")))
    assert "Et prosjekt uten startdato sendes ikke til Tripletex" in page
    assert "Underprosjekter sendes ikke til Tripletex." in page


def test_the_delete_page_asks_first_and_the_button_says_what_it_does(alice, hr_a):
    project = hr_a["project"]
    page = body(alice.get(reverse("hr:project_delete", args=[project.id])))
    assert "Slett prosjekt</button>" in page and "1 timeføring er ført på prosjektet og beholdes." in page
    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE


def test_deleting_a_project_with_hours_marks_it_deleted_and_keeps_the_hours(world, alice, hr_a, two_way):
    with scopes_disabled():
        project = hr_a["project"]
        response = alice.post(reverse("hr:project_delete", args=[project.id]))
        assert response.status_code == 302
        project.refresh_from_db()
        assert project.status == Project.Status.DELETED
        assert TimeEntry.objects.filter(project=project).count() == 1
        assert pending(world.a) == [("project", project.id, "delete")]


def test_the_delete_page_of_a_connected_company_says_tripletex_keeps_the_project(alice, hr_a, two_way):
    page = body(alice.get(reverse("hr:project_delete", args=[hr_a["project"].id])))
    assert "Prosjektet slettes ikke i Tripletex." in page


def test_a_deleted_project_says_so_and_can_be_restored(alice, hr_a):
    project = hr_a["project"]
    alice.post(reverse("hr:project_delete", args=[project.id]))
    page = body(alice.get(reverse("hr:project_edit", args=[project.id])))
    assert "Prosjektet er slettet." in page and "Slett prosjekt" not in page
    alice.post(reverse("hr:project_edit", args=[project.id]), {**PROJECT_POST, "status": "active"})
    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE


def test_creating_a_customer_keeps_the_org_number_without_spaces(world, alice, two_way):
    with scopes_disabled():
        response = alice.post(reverse("hr:customer_create"), CUSTOMER_POST)
        assert response.status_code == 302
        customer = Customer.objects.get(tenant=world.a)
        assert (customer.org_number, customer.currency, customer.city) == ("923609016", "NOK", "Bergen")
        assert pending(world.a) == [("customer", customer.id, "upsert")]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "Kunden må ha et navn."),
    ("org_number", "923609017", "Organisasjonsnummeret må ha 9 siffer og gyldig kontrollsiffer."),
    ("org_number", "١٢٣٤٥٦٧٨٩", "Organisasjonsnummeret må ha 9 siffer og gyldig kontrollsiffer."),
    ("currency", "kr", "Valuta skrives som en valutakode på tre bokstaver"),
    ("payment_terms_days", "99999999999999999999", "365"),
    ("email", "ikke-epost", "gyldig epost-adresse"),
])
def test_bad_customer_input_gets_a_form_error_and_stores_nothing(world, alice, field, value, message):
    with scopes_disabled():
        response = alice.post(reverse("hr:customer_create"), {**CUSTOMER_POST, field: value})
        assert response.status_code == 200 and message in body(response)
        assert not Customer.objects.filter(tenant=world.a).exists()


def test_a_bad_edit_keeps_what_is_stored(alice, hr_a):
    customer = hr_a["customer"]
    alice.post(reverse("hr:customer_edit", args=[customer.id]), {**CUSTOMER_POST, "name": "Nytt", "org_number": "1"})
    customer.refresh_from_db()
    assert customer.name == "Alfakunde AS"


def test_the_customer_page_says_tripletex_must_set_customers_inactive_when_two_way_is_on(alice, hr_a, two_way):
    page = body(alice.get(reverse("hr:customer_edit", args=[hr_a["customer"].id])))
    assert "Tripletex tillater ikke at vi setter en kunde til inaktiv. Sett kunden inaktiv i Tripletex." in page


def test_the_customer_page_does_not_mention_it_when_two_way_is_off(alice, hr_a):
    page = body(alice.get(reverse("hr:customer_edit", args=[hr_a["customer"].id])))
    assert "Tripletex tillater ikke" not in page


def test_setting_a_customer_inactive_while_two_way_is_on_is_a_form_error(alice, hr_a, two_way):
    customer = hr_a["customer"]
    response = alice.post(reverse("hr:customer_edit", args=[customer.id]), {**CUSTOMER_POST, "status": "inactive"})
    assert response.status_code == 200 and "Sett kunden inaktiv i Tripletex." in body(response)
    customer.refresh_from_db()
    assert customer.status == Customer.Status.ACTIVE


def test_deleting_a_customer_marks_it_deleted(world, alice, hr_a, two_way):
    with scopes_disabled():
        customer = hr_a["customer"]
        page = body(alice.get(reverse("hr:customer_delete", args=[customer.id])))
        assert "Slett kunde</button>" in page and "Kunden slettes ikke i Tripletex." in page
        assert alice.post(reverse("hr:customer_delete", args=[customer.id])).status_code == 302
        customer.refresh_from_db()
        assert customer.status == Customer.Status.DELETED
        assert pending(world.a) == [("customer", customer.id, "delete")]


def test_creating_an_employee_stores_it(world, alice, two_way):
    with scopes_disabled():
        assert alice.post(reverse("hr:employee_create"), EMPLOYEE_POST).status_code == 302
        employee = Employee.objects.get(tenant=world.a, employee_number="1002")
        assert (employee.first_name, employee.last_name, employee.active) == ("Kari", "Hansen", True)
        assert pending(world.a) == [("employee", employee.id, "upsert")]


def test_a_taken_employee_number_gets_a_form_error(world, alice, hr_a):
    with scopes_disabled():
        EmployeeFactory(tenant=world.a, employee_number="1002")
        response = alice.post(reverse("hr:employee_create"), EMPLOYEE_POST)
        assert response.status_code == 200 and "Ansattnummeret er allerede i bruk i selskapet." in body(response)
        assert Employee.objects.filter(tenant=world.a, employee_number="1002").count() == 1


def test_an_employee_number_used_by_another_company_is_free(world, alice):
    EmployeeFactory(tenant=world.b, employee_number="1002")
    assert alice.post(reverse("hr:employee_create"), EMPLOYEE_POST).status_code == 302


def test_the_employee_form_says_who_is_not_sent_to_tripletex(alice):
    page = body(alice.get(reverse("hr:employee_create")))
    assert "En ansatt uten etternavn sendes ikke til Tripletex" in page
    assert "Inaktive ansatte sendes ikke til Tripletex." in page


def test_deleting_an_employee_sets_them_inactive_and_keeps_their_hours(world, alice, hr_a):
    with scopes_disabled():
        employee = hr_a["employee"]
        page = body(alice.get(reverse("hr:employee_deactivate", args=[employee.id])))
        assert "Sett ansatt inaktiv</button>" in page and "Ansatte slettes ikke" in page
        assert alice.post(reverse("hr:employee_deactivate", args=[employee.id])).status_code == 302
        employee.refresh_from_db()
        assert not employee.active and TimeEntry.objects.filter(employee=employee).count() == 1
        edit_link = reverse("hr:employee_edit", args=[employee.id])
        assert edit_link not in body(alice.get(reverse("hr:employees")))
        assert edit_link in body(alice.get(reverse("hr:employees"), {"status": "inactive"}))


def test_the_employee_list_searches_first_and_last_name_together(world, alice):
    EmployeeFactory(tenant=world.a, first_name="Kari", last_name="Hansen")
    EmployeeFactory(tenant=world.a, first_name="Kari", last_name="Berg")
    page = body(alice.get(reverse("hr:employees"), {"q": "kari hansen"}))
    assert "Kari Hansen" in page and "Kari Berg" not in page


@pytest.mark.parametrize("path", [
    "/prosjekter/99999999999999999999999/", "/prosjekter/99999999999999999999999/slett/",
    "/kunder/99999999999999999999999/", "/ansatte/99999999999999999999999/sett-inaktiv/",
    "/prosjekter/١٢/", "/kunder/-1/", "/ansatte/1.5/",
])
def test_an_unknown_or_odd_id_in_the_address_is_a_404(alice, path):
    assert alice.get(path).status_code == 404
    assert alice.post(path).status_code == 404


@pytest.mark.parametrize("name", ["hr:projects", "hr:project_create", "hr:customers", "hr:customer_create",
                                  "hr:employees", "hr:employee_create"])
def test_the_register_pages_are_translated_into_english(alice, hr_a, name):
    alice.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = body(alice.get(reverse(name)))
    assert 'lang="en"' in page and "Master data" in page
