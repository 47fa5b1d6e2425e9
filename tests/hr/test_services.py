"""The rules of the register services, whichever page or command calls them: inside the company's scope, as
every page and task enters it."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope, scopes_disabled

from hr import services
from hr.models import Customer, Employee, Project, TimeEntry
from tests.factories import CustomerFactory, EmployeeFactory, ProjectFactory, TimeEntryFactory


def test_project_create_stores_every_field(world):
    with scope(tenant=world.a):
        customer = CustomerFactory(tenant=world.a)
        main = ProjectFactory(tenant=world.a)
        manager = EmployeeFactory(tenant=world.a)
        project = services.project_create(
            tenant=world.a, number=" 42 ", name="  Nybygg  ", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 6, 30),
            parent=main, is_internal=True, customer=customer, project_manager=manager, status=Project.Status.COMPLETED,
        )
        project.refresh_from_db()
        assert (project.number, project.name, project.start_date, project.end_date) == (
            "42", "Nybygg", dt.date(2026, 1, 1), dt.date(2026, 6, 30),
        )
        assert (project.parent, project.customer, project.project_manager) == (main, customer, manager)
        assert project.is_internal and project.status == Project.Status.COMPLETED and project.tenant == world.a


def test_project_without_a_name_is_refused(world):
    with scope(tenant=world.a):
        with pytest.raises(ValidationError) as exc:
            services.project_create(tenant=world.a, name="   ")
        assert "name" in exc.value.message_dict
        assert not Project.objects.filter(tenant=world.a).exists()


@pytest.mark.parametrize("field", ["parent", "customer", "project_manager"])
def test_project_refuses_a_related_row_of_another_company(world, field):
    with scope(tenant=world.a):
        other = {"parent": ProjectFactory, "customer": CustomerFactory, "project_manager": EmployeeFactory}[field](
            tenant=world.b
        )
        with pytest.raises(ValidationError) as exc:
            services.project_create(tenant=world.a, name="Prosjekt", **{field: other})
        assert field in exc.value.message_dict


def test_project_cannot_become_a_sub_project_of_its_own_sub_project(world):
    with scope(tenant=world.a):
        main = ProjectFactory(tenant=world.a)
        sub = ProjectFactory(tenant=world.a, parent=main)
        with pytest.raises(ValidationError) as exc:
            services.project_update(tenant=world.a, project=main, data={"parent": sub})
        assert "parent" in exc.value.message_dict
        main.refresh_from_db()
        assert main.parent is None


def test_project_end_date_before_start_date_is_refused(world):
    with scope(tenant=world.a):
        with pytest.raises(ValidationError) as exc:
            services.project_create(tenant=world.a, name="P", start_date=dt.date(2026, 5, 1), end_date=dt.date(2026, 4, 30))
        assert "end_date" in exc.value.message_dict


def test_deleting_a_project_with_hours_keeps_the_project_and_its_hours(world):
    with scope(tenant=world.a):
        entry = TimeEntryFactory(tenant=world.a)
        project = services.project_delete(tenant=world.a, project=entry.project)
        assert project.status == Project.Status.DELETED
        assert TimeEntry.objects.get(pk=entry.pk).project_id == project.id


def test_deleting_a_customer_with_projects_keeps_the_customer_and_its_projects(world):
    with scope(tenant=world.a):
        customer = CustomerFactory(tenant=world.a)
        project = ProjectFactory(tenant=world.a, customer=customer)
        services.customer_delete(tenant=world.a, customer=customer)
        customer.refresh_from_db()
        project.refresh_from_db()
        assert customer.status == Customer.Status.DELETED and project.customer == customer


def test_a_deleted_project_can_be_restored_by_choosing_another_status(world):
    with scope(tenant=world.a):
        project = services.project_delete(tenant=world.a, project=ProjectFactory(tenant=world.a))
        services.project_update(tenant=world.a, project=project, data={"status": Project.Status.ACTIVE})
        project.refresh_from_db()
        assert project.status == Project.Status.ACTIVE


def test_customer_with_a_bad_org_number_is_refused(world):
    with scope(tenant=world.a):
        with pytest.raises(ValidationError) as exc:
            services.customer_create(tenant=world.a, name="Kunde AS", org_number="923609017")
        assert "org_number" in exc.value.message_dict


def test_customer_currency_is_a_three_letter_code(world):
    with scope(tenant=world.a):
        customer = services.customer_create(tenant=world.a, name="Kunde AS", org_number="923609016", currency="sek")
        assert customer.currency == "SEK"
        with pytest.raises(ValidationError) as exc:
            services.customer_update(tenant=world.a, customer=customer, data={"currency": "kr"})
        assert "currency" in exc.value.message_dict


def test_a_taken_employee_number_is_a_validation_error_not_an_integrity_error(world):
    with scope(tenant=world.a):
        EmployeeFactory(tenant=world.a, employee_number="1001")
        with pytest.raises(ValidationError) as exc:
            services.employee_create(tenant=world.a, first_name="Kari", last_name="Hansen", employee_number="1001")
        assert "employee_number" in exc.value.message_dict


def test_an_employee_number_taken_by_a_racing_save_is_still_a_validation_error(world, monkeypatch):
    with scope(tenant=world.a):
        EmployeeFactory(tenant=world.a, employee_number="1001")
        # The check before saving saw the number free; the database's unique constraint is the last word.
        monkeypatch.setattr(services.Employee.objects, "filter", lambda **kw: Employee.objects.none())
        with pytest.raises(ValidationError) as exc:
            services.employee_create(tenant=world.a, first_name="Kari", employee_number="1001")
        assert "employee_number" in exc.value.message_dict


def test_employee_numbers_are_unique_per_company_only_and_may_be_empty(world):
    EmployeeFactory(tenant=world.a, employee_number="1001")
    with scope(tenant=world.b):
        services.employee_create(tenant=world.b, first_name="Kari", employee_number="1001")
    with scope(tenant=world.a):
        services.employee_create(tenant=world.a, first_name="Uten", employee_number="")
        services.employee_create(tenant=world.a, first_name="Også uten", employee_number="")
    with scopes_disabled():
        assert Employee.objects.filter(employee_number="1001").count() == 2


def test_deactivating_an_employee_keeps_the_employee_and_their_hours(world):
    with scope(tenant=world.a):
        entry = TimeEntryFactory(tenant=world.a)
        employee = services.employee_deactivate(tenant=world.a, employee=entry.employee)
        assert not employee.active
        assert TimeEntry.objects.get(pk=entry.pk).employee_id == employee.id


def test_update_refuses_a_field_it_does_not_manage(world):
    with scope(tenant=world.a):
        employee = EmployeeFactory(tenant=world.a)
        with pytest.raises(ValueError):
            services.employee_update(tenant=world.a, employee=employee, data={"user": world.alice})

