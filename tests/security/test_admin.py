"""The Django admin as a company's staff: only their own company, its members and rows; nothing of another.

And the registers (projects, customers, employees) are not changed there behind the two-way connector's
back: the admin shows them, and changes only an employee's login, which no connector sends.
"""
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from hr.models import Customer, Employee, Project
from integrations.models import OutboundChange
from tenants.models import Membership, User
from tests.factories import EmployeeFactory, MembershipFactory, UserFactory

from .db import everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(world):
    """alice as staff of A with every model permission, but no superuser."""
    world.alice.is_staff = True
    world.alice.save()
    world.alice.user_permissions.set(Permission.objects.all())
    client = world.client_for(world.alice, world.a)
    client.raise_request_exception = False
    return client


@pytest.fixture(params=["staff", "superuser"])
def admin_of_a(request, world, staff):
    """A's staff, and a superuser who has chosen A: both act for A only."""
    if request.param == "superuser":
        world.alice.is_superuser = True
        world.alice.save()
    return staff


def page(client, name, *args) -> str:
    return client.get(reverse(name, args=args)).content.decode()


def test_the_user_list_shows_only_the_companys_people(world, admin_of_a):
    users = page(admin_of_a, "admin:tenants_user_changelist")
    assert "carol@alfa.no" in users and "bob@beta.no" not in users


def test_another_companys_user_cannot_be_opened_or_changed(world, admin_of_a):
    before = everything()
    assert admin_of_a.get(reverse("admin:tenants_user_change", args=[world.bob.id])).status_code == 302
    response = admin_of_a.post(reverse("admin:tenants_user_change", args=[world.bob.id]), {
        "email": "bob@alfa.no", "first_name": "Bob", "last_name": "", "is_active": "on",
    })
    assert response.status_code == 302 and everything() == before
    response = admin_of_a.post(f"/admin/tenants/user/{world.bob.id}/password/",
                               {"password1": "Nytt-passord-123", "password2": "Nytt-passord-123"})
    assert response.status_code in (302, 404) and everything() == before


def test_a_user_who_is_also_in_another_company_is_shown_but_not_changed(world, staff):
    MembershipFactory(user=world.carol, tenant=world.b, role=Membership.Role.EMPLOYEE)
    url = reverse("admin:tenants_user_change", args=[world.carol.id])
    before = everything()
    assert staff.get(url).status_code == 200
    staff.post(url, {"email": "carol@alfa.no", "first_name": "Kapret", "last_name": "", "is_active": "on"})
    assert staff.post(f"/admin/tenants/user/{world.carol.id}/password/",
                      {"password1": "Nytt-passord-123", "password2": "Nytt-passord-123"}).status_code == 403
    assert everything() == before


def test_staff_cannot_make_themselves_superuser(world, staff):
    staff.post(reverse("admin:tenants_user_change", args=[world.alice.id]), {
        "email": "alice@alfa.no", "first_name": "Alice", "last_name": "", "is_active": "on", "is_staff": "on",
        "is_superuser": "on",
    })
    assert not User.objects.get(id=world.alice.id).is_superuser


def test_a_user_added_by_a_companys_staff_becomes_a_member_of_that_company(world, staff):
    response = staff.post(reverse("admin:tenants_user_add"), {
        "email": "ny@alfa.no", "password1": "Et-langt-passord-42", "password2": "Et-langt-passord-42",
    })
    assert response.status_code == 302
    new = User.objects.get(email="ny@alfa.no")
    assert list(new.memberships.values_list("tenant_id", "role")) == [(world.a.id, "employee")]


def test_the_company_list_shows_only_the_chosen_company_and_no_company_is_added_or_deleted(world, admin_of_a):
    companies = page(admin_of_a, "admin:tenants_tenant_changelist")
    assert "Alfa AS" in companies and "Beta AS" not in companies
    assert admin_of_a.get(reverse("admin:tenants_tenant_change", args=[world.b.id])).status_code == 302
    before = everything()
    admin_of_a.post(reverse("admin:tenants_tenant_change", args=[world.b.id]),
                    {"name": "Kapret AS", "org_number": world.b.org_number, "slug": world.b.slug})
    assert admin_of_a.post(reverse("admin:tenants_tenant_add"),
                           {"name": "Ny AS", "org_number": "923609016", "slug": "ny"}).status_code == 403
    assert admin_of_a.post(reverse("admin:tenants_tenant_delete", args=[world.a.id]),
                           {"post": "yes"}).status_code == 403
    assert everything() == before


def test_memberships_are_the_companys_and_no_one_is_added_to_another_company(world, admin_of_a):
    listing = page(admin_of_a, "admin:tenants_membership_changelist")
    assert "Alice" in listing and "Bob" not in listing and "Beta AS" not in listing
    before = everything()
    assert admin_of_a.post(reverse("admin:tenants_membership_add"),
                           {"user": world.alice.id, "tenant": world.b.id, "role": "admin"}).status_code == 403
    bobs = Membership.objects.get(user=world.bob)
    admin_of_a.post(reverse("admin:tenants_membership_change", args=[bobs.id]),
                    {"user": world.alice.id, "tenant": world.b.id, "role": "admin"})
    assert everything() == before
    assert not Membership.objects.filter(user=world.alice, tenant=world.b).exists()


def test_a_membership_cannot_be_moved_to_another_company(world, admin_of_a):
    carols = Membership.objects.get(user=world.carol, tenant=world.a)
    admin_of_a.post(reverse("admin:tenants_membership_change", args=[carols.id]),
                    {"user": world.carol.id, "tenant": world.b.id, "role": "admin"})
    assert Membership.objects.get(id=carols.id).tenant_id == world.a.id


def test_user_drop_downs_list_only_the_companys_people(world, hr_a, admin_of_a):
    UserFactory(email="stranger@gamma.no")  # in no company at all
    forms = [
        page(admin_of_a, "admin:hr_employee_change", hr_a["employee"].id),
        page(admin_of_a, "admin:tenants_membership_change", Membership.objects.get(user=world.carol).id),
        page(admin_of_a, "admin:integrations_syncrun_add"),
    ]
    for form in forms:
        assert "carol@alfa.no" in form or "Carol" in form
        assert "bob@beta.no" not in form and "stranger@gamma.no" not in form and ">Bob<" not in form


def test_a_second_employee_for_the_same_login_is_a_form_error(world, hr_a, admin_of_a):
    other = EmployeeFactory(tenant=world.a, first_name="Annen")
    response = admin_of_a.post(reverse("admin:hr_employee_change", args=[other.id]), {
        "user": world.carol.id, "first_name": "Annen", "last_name": "", "email": "", "employee_number": "",
        "active": "on",
    })
    assert response.status_code == 200 and "finnes allerede" in response.content.decode()
    with scope(tenant=world.a):
        assert Employee.objects.get(id=other.id).user_id is None


def test_an_employees_login_is_set_in_the_admin_and_nothing_goes_to_tripletex(world, admin_of_a):
    employee = EmployeeFactory(tenant=world.a, first_name="Uten", last_name="Login")
    response = admin_of_a.post(reverse("admin:hr_employee_change", args=[employee.id]),
                               {"user": world.alice.id, "first_name": "Endret"})
    assert response.status_code == 302
    employee.refresh_from_db()
    assert employee.user_id == world.alice.id and employee.first_name == "Uten"
    with scopes_disabled():  # in no company
        assert not OutboundChange.objects.exists()


@pytest.mark.parametrize("model", [Project, Customer, Employee])
def test_projects_customers_and_employees_are_not_added_or_deleted_in_the_admin(world, hr_a, admin_of_a, model):
    obj = {Project: hr_a["project"], Customer: hr_a["customer"], Employee: hr_a["employee"]}[model]
    name = f"admin:hr_{model._meta.model_name}"
    before = everything()
    assert admin_of_a.get(reverse(f"{name}_change", args=[obj.id])).status_code == 200  # shown
    assert admin_of_a.post(reverse(f"{name}_add"), {"name": "Ny", "first_name": "Ny"}).status_code == 403
    assert admin_of_a.post(reverse(f"{name}_delete", args=[obj.id]), {"post": "yes"}).status_code == 403
    assert everything() == before


@pytest.mark.parametrize("model", [Project, Customer])
def test_projects_and_customers_are_not_changed_in_the_admin(world, hr_a, admin_of_a, model):
    obj = {Project: hr_a["project"], Customer: hr_a["customer"]}[model]
    before = everything()
    response = admin_of_a.post(reverse(f"admin:hr_{model._meta.model_name}_change", args=[obj.id]),
                               {"name": "Endret", "number": "1", "customer_number": "1", "status": "active"})
    assert response.status_code == 403 and everything() == before


def test_staff_with_no_company_chosen_see_no_company_users_or_memberships(world, staff):
    MembershipFactory(user=world.alice, tenant=world.b, role=Membership.Role.ADMIN)  # two companies: must choose
    session = staff.session
    del session["tenant_id"]
    session.save()
    for name in ("admin:tenants_user_changelist", "admin:tenants_tenant_changelist",
                 "admin:tenants_membership_changelist"):
        body = page(staff, name)
        assert "bob@beta.no" not in body and "Beta AS" not in body


def test_the_platform_operator_without_a_company_sees_every_company(world):
    operator = UserFactory(email="drift@grjobb.no", is_staff=True, is_superuser=True)
    client = world.client_for(operator)
    companies = page(client, "admin:tenants_tenant_changelist")
    assert "Alfa AS" in companies and "Beta AS" in companies


def test_login_attempts_of_every_company_are_not_in_the_admin(world, admin_of_a):
    index = page(admin_of_a, "admin:index")
    assert "/admin/axes/" not in index
    assert admin_of_a.get("/admin/axes/accessattempt/").status_code == 404
