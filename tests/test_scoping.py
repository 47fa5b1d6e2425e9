"""The test base itself: a test body here runs with tenant scoping on, as pages and tasks do, while fixtures
build and read rows with it off."""
import pytest
from celery import Celery
from django.http import HttpResponse
from django.urls import path
from django_scopes import ScopeError, scope
from django_scopes.state import get_scope

from hr.models import Employee


@pytest.fixture
def employees_of_both(world, hr_a):
    # Reads across companies: allowed while a fixture builds its data.
    return Employee.objects.filter(tenant__in=[world.a, world.b]).count()


def test_a_query_outside_any_company_scope_fails_in_the_test_body(employees_of_both):
    assert employees_of_both == 1
    with pytest.raises(ScopeError):
        Employee.objects.count()


def test_inside_a_company_scope_the_body_sees_that_company_only(world, hr_a):
    with scope(tenant=world.b):
        assert Employee.objects.count() == 0
    with scope(tenant=world.a):
        assert Employee.objects.count() == 1


def test_exists_and_the_other_reads_django_scopes_leaves_open_are_refused_outside_a_scope(world, hr_a):
    # Unguarded, each answered from every company's rows.
    for read in (lambda: Employee.objects.exists(), lambda: Employee.objects.in_bulk(),
                 lambda: Employee.objects.exclude(first_name="").exists(),
                 lambda: Employee.objects.contains(hr_a["employee"])):
        with pytest.raises(ScopeError):
            read()
    with scope(tenant=world.b):
        assert not Employee.objects.exists()
    with scope(tenant=world.a):
        assert Employee.objects.exists()


# An app of its own, so the project's task list (tests/ops/test_queues.py) does not see this task.
_app = Celery("scoping-test", set_as_current=False)


@_app.task(shared=False)
def _count_employees() -> int:
    """A task that forgets to set its company's scope."""
    return Employee.objects.count()


def test_a_task_run_from_a_scoped_body_does_not_inherit_its_scope(world, hr_a):
    with scope(tenant=world.a):
        with pytest.raises(ScopeError):
            _count_employees()
        with pytest.raises(ScopeError):
            _count_employees.apply(throw=True)
        assert Employee.objects.count() == 1  # the body's own scope is back


def _scope_seen(request):
    return HttpResponse(",".join(sorted(get_scope())))


urlpatterns = [path("scope-seen/", _scope_seen)]


def test_a_request_through_the_test_client_does_not_inherit_the_bodys_scope(world, settings, client):
    """A server thread starts each request with no company scope; one run from a scoped test body must too, so
    a view that forgets to set its own fails in its test."""
    settings.ROOT_URLCONF = __name__
    with scope(tenant=world.a):
        assert client.get("/scope-seen/").content == b""
