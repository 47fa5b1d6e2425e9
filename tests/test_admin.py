"""Django admin: every model is there, and a superuser sees only the company they have chosen."""
import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django_scopes import scope

from tenants.models import Membership

from .factories import EmployeeFactory, MembershipFactory

OURS = ("tenants", "hr", "integrations", "wizard", "api")


def test_every_model_of_ours_is_in_the_admin():
    missing = [m.__name__ for m in apps.get_models() if m._meta.app_label in OURS and m not in admin.site._registry]
    assert missing == []


@pytest.mark.django_db
def test_admin_lists_only_the_chosen_companys_rows(world):
    world.alice.is_staff = world.alice.is_superuser = True
    world.alice.save()
    EmployeeFactory(tenant=world.a, first_name="Alfaperson")
    EmployeeFactory(tenant=world.b, first_name="Betaperson")
    MembershipFactory(user=world.alice, tenant=world.b, role=Membership.Role.ADMIN)
    client = world.client_for(world.alice, world.a)
    page = client.get(reverse("admin:hr_employee_changelist")).content.decode()
    assert "Alfaperson" in page and "Betaperson" not in page


@pytest.mark.django_db
def test_approved_hours_cannot_be_changed_or_deleted_in_the_admin(world, hr_a):
    with scope(tenant=world.a):
        from hr.models import TimeEntry

        world.alice.is_staff = world.alice.is_superuser = True
        world.alice.save()
        entry = hr_a["entry"]
        TimeEntry.objects.filter(id=entry.id).update(status="approved")
        client = world.client_for(world.alice, world.a)
        response = client.post(reverse("admin:hr_timeentry_delete", args=[entry.id]), {"post": "yes"})
        assert response.status_code == 403
        assert TimeEntry.objects.filter(id=entry.id).exists()
