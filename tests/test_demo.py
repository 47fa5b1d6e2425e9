"""`python manage.py seed_demo`: the demo company, its people and a month of hours; twice changes nothing."""
from django.core.management import call_command
from django.db.models import Count

from hr.models import Employee, Project, TimeEntry
from tenants.models import Membership, Tenant, User


def snapshot():
    return {
        "tenants": list(Tenant.objects.values_list("slug", "name", "org_number")),
        "users": sorted(User.objects.values_list("email", flat=True)),
        "memberships": sorted(Membership.objects.values_list("user__email", "role")),
        "employees": sorted(Employee.objects.values_list("email", "employee_number")),
        "projects": sorted(Project.objects.values_list("number", "name")),
        "entries": sorted(TimeEntry.objects.values_list("id", "status", "hours", "updated_at")),
    }


def test_seed_demo_makes_demo_as_with_login_and_hours_in_every_status(db):
    call_command("seed_demo")
    demo = Tenant.objects.get(slug="demo")
    assert demo.name == "Demo AS"
    admin = User.objects.get(email="admin@demo.no")
    assert admin.check_password("demo1234")
    assert Membership.objects.get(user=admin, tenant=demo).role == "admin"
    assert Membership.objects.filter(tenant=demo, role="manager").count() == 1
    assert Employee.objects.filter(tenant=demo, user__memberships__role="employee").count() == 5
    statuses = dict(TimeEntry.objects.filter(tenant=demo).values_list("status").annotate(n=Count("id")))
    assert set(statuses) == {"draft", "submitted", "approved", "rejected"}


def test_seed_demo_twice_changes_nothing(db):
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
