"""The test base itself: a test body here runs with tenant scoping on, as pages and tasks do, while fixtures
build and read rows with it off."""
import pytest
from django_scopes import ScopeError, scope

from config.celery_app import app
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


@app.task
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
