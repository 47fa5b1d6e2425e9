import pytest
from django.urls import reverse
from django_scopes import scope
from django_scopes.exceptions import ScopeError

from hr.models import Employee
from tenants.forms import CompanyForm
from tenants.models import Membership
from tenants.validators import is_valid_org_number

from .factories import EmployeeFactory, MembershipFactory, TenantFactory


@pytest.mark.parametrize("number,valid", [
    ("974760673", True),   # Brønnøysundregistrene
    ("923609016", True),
    ("974760674", False),  # wrong check digit
    ("97476067", False),   # eight digits
    ("97476067a", False),
    ("", False),
])
def test_org_number_has_nine_digits_and_mod11_check(number, valid):
    assert is_valid_org_number(number) is valid


def test_duplicate_org_number_is_a_form_error_not_a_500(world):
    form = CompanyForm(data={"name": "Kopi AS", "org_number": world.a.org_number}, instance=world.b)
    assert not form.is_valid()
    assert "finnes allerede" in form.errors["org_number"][0]
    world.b.refresh_from_db()
    assert world.b.org_number != world.a.org_number


def test_invalid_org_number_in_settings_shows_message_and_keeps_stored_value(world):
    client = world.client_for(world.alice, world.a)
    before = world.a.org_number
    response = client.post(reverse("company_settings"), {"name": "Alfa AS", "org_number": "123456789"})
    assert response.status_code == 200
    assert "kontrollsiffer" in response.content.decode()
    world.a.refresh_from_db()
    assert world.a.org_number == before


def test_login_with_email_is_case_insensitive(world, client):
    response = client.post(reverse("login"), {"username": "Alice@Alfa.no", "password": "pw-12345678"})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_shows_message(world, client):
    response = client.post(reverse("login"), {"username": "alice@alfa.no", "password": "nope"})
    assert response.status_code == 200
    assert "Feil e-post eller passord" in response.content.decode()


def test_user_in_two_companies_picks_one_and_can_switch(world, client):
    MembershipFactory(user=world.alice, tenant=world.b, role=Membership.Role.EMPLOYEE)
    client.force_login(world.alice)
    assert client.get(reverse("home"))["Location"] == reverse("tenant_select")
    page = client.get(reverse("tenant_select")).content.decode()
    assert "Alfa AS" in page and "Beta AS" in page
    client.post(reverse("tenant_select"), {"tenant": world.b.id})
    assert client.session["tenant_id"] == world.b.id
    client.post(reverse("tenant_select"), {"tenant": world.a.id})
    assert client.session["tenant_id"] == world.a.id


def test_cannot_switch_to_a_company_one_is_not_member_of(world):
    client = world.client_for(world.bob)
    response = client.post(reverse("tenant_select"), {"tenant": world.a.id})
    assert response.status_code == 400
    assert client.session.get("tenant_id") != world.a.id


def test_scoped_manager_refuses_query_without_tenant_scope(world):
    EmployeeFactory(tenant=world.a)
    with scope():
        with pytest.raises(ScopeError):
            list(Employee.objects.all())
    with scope(tenant=world.b):
        assert list(Employee.objects.all()) == []
    with scope(tenant=world.a):
        assert Employee.objects.count() == 1


def test_employee_cannot_open_company_settings(world):
    client = world.client_for(world.carol, world.a)
    assert client.get(reverse("company_settings")).status_code == 403


def test_employee_cannot_approve(world, hr_a):
    client = world.client_for(world.carol, world.a)
    assert client.get(reverse("hr:approvals")).status_code == 403
    response = client.post(reverse("hr:approvals_bulk"), {"entries": [hr_a["entry"].id], "action": "approve"})
    assert response.status_code == 403
    hr_a["entry"].refresh_from_db()
    assert hr_a["entry"].status == "submitted"

