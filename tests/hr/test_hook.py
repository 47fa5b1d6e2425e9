"""Every change to a project, customer or employee is queued for the two-way connector, in its own transaction."""
import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django_scopes import scope, scopes_disabled

from hr import services
from hr.models import Customer, Project
from integrations.models import Connection, ConnectorConfig, Link, OutboundChange
from tests.factories import CustomerFactory, EmployeeFactory, ProjectFactory

from .conftest import pending

UPSERT, DELETE = OutboundChange.Op.UPSERT, OutboundChange.Op.DELETE


# The services run as a page or a task runs them: inside the company's scope.


def create(kind: str, tenant):
    with scope(tenant=tenant):
        return _create(kind, tenant)


def _create(kind: str, tenant):
    if kind == Link.Kind.PROJECT:
        return services.project_create(tenant=tenant, name="Nybygg", number="1001")
    if kind == Link.Kind.CUSTOMER:
        return services.customer_create(tenant=tenant, name="Fjordkaffe AS", customer_number="10001")
    return services.employee_create(tenant=tenant, first_name="Kari", last_name="Hansen", employee_number="1002")


def update(kind: str, tenant, obj, **data):
    with scope(tenant=tenant):
        return _update(kind, tenant, obj, **data)


def _update(kind: str, tenant, obj, **data):
    if kind == Link.Kind.PROJECT:
        return services.project_update(tenant=tenant, project=obj, data=data or {"name": "Nybygg 2"})
    if kind == Link.Kind.CUSTOMER:
        return services.customer_update(tenant=tenant, customer=obj, data=data or {"name": "Fjordkaffe 2 AS"})
    return services.employee_update(tenant=tenant, employee=obj, data=data or {"last_name": "Hansen-Berg"})


def delete(kind: str, tenant, obj):
    with scope(tenant=tenant):
        return _delete(kind, tenant, obj)


def _delete(kind: str, tenant, obj):
    if kind == Link.Kind.PROJECT:
        return services.project_delete(tenant=tenant, project=obj)
    if kind == Link.Kind.CUSTOMER:
        return services.customer_delete(tenant=tenant, customer=obj)
    return services.employee_deactivate(tenant=tenant, employee=obj)


KINDS = [Link.Kind.PROJECT, Link.Kind.CUSTOMER, Link.Kind.EMPLOYEE]


def done_so_far():
    with scopes_disabled():
        OutboundChange.objects.update(state=OutboundChange.State.DONE)


def nothing_queued() -> bool:
    """No company's change queued: read across companies."""
    with scopes_disabled():
        return not OutboundChange.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_create_queues_one_change_for_tripletex(world, two_way, kind):
    obj = create(kind, world.a)
    assert pending(world.a) == [(kind, obj.id, UPSERT)]
    with scopes_disabled():
        change = OutboundChange.objects.get(tenant=world.a)
    assert change.snapshot["label"] == str(obj)


@pytest.mark.parametrize("kind", KINDS)
def test_update_queues_one_change_for_tripletex(world, two_way, kind):
    obj = create(kind, world.a)
    done_so_far()
    update(kind, world.a, obj)
    assert pending(world.a) == [(kind, obj.id, UPSERT)]


@pytest.mark.parametrize("kind", [Link.Kind.PROJECT, Link.Kind.CUSTOMER])
def test_delete_queues_a_delete_with_what_the_log_needs(world, two_way, kind):
    obj = create(kind, world.a)
    done_so_far()
    delete(kind, world.a, obj)
    assert pending(world.a) == [(kind, obj.id, DELETE)]
    number = "1001" if kind == Link.Kind.PROJECT else "10001"
    with scopes_disabled():
        assert OutboundChange.objects.get(state="pending").snapshot == {"label": str(obj), "number": number}


def test_setting_an_employee_inactive_queues_a_change_not_a_delete(world, two_way):
    """Tripletex has no inactive employees; the connector's rule for one is the same however it became inactive."""
    employee = create(Link.Kind.EMPLOYEE, world.a)
    done_so_far()
    delete(Link.Kind.EMPLOYEE, world.a, employee)
    assert pending(world.a) == [(Link.Kind.EMPLOYEE, employee.id, UPSERT)]


@pytest.mark.parametrize("kind", KINDS)
def test_two_quick_edits_leave_one_pending_change(world, two_way, kind):
    obj = create(kind, world.a)
    update(kind, world.a, obj)
    update(kind, world.a, obj, **({"first_name": "Karin"} if kind == Link.Kind.EMPLOYEE else {"name": "Tredje"}))
    assert pending(world.a) == [(kind, obj.id, UPSERT)]


def test_a_delete_right_after_an_edit_leaves_one_pending_delete(world, two_way):
    project = create(Link.Kind.PROJECT, world.a)
    update(Link.Kind.PROJECT, world.a, project)
    delete(Link.Kind.PROJECT, world.a, project)
    assert pending(world.a) == [(Link.Kind.PROJECT, project.id, DELETE)]


@pytest.mark.parametrize("kind", KINDS)
def test_nothing_is_queued_while_the_two_way_connector_is_off(world, two_way, kind):
    with scopes_disabled():
        ConnectorConfig.objects.filter(tenant=world.a).update(enabled=False)
    obj = create(kind, world.a)
    update(kind, world.a, obj)
    delete(kind, world.a, obj)
    assert pending(world.a) == []


def test_nothing_is_queued_while_the_tripletex_connection_is_removed(world, two_way):
    with scopes_disabled():
        Connection.objects.filter(tenant=world.a).update(state=Connection.State.REMOVED)
    create(Link.Kind.PROJECT, world.a)
    assert nothing_queued()


def test_another_companys_connector_does_not_queue_our_changes(world, two_way):
    create(Link.Kind.PROJECT, world.b)
    assert nothing_queued()


@pytest.mark.parametrize("kind", KINDS)
def test_saving_without_a_change_queues_nothing(world, two_way, kind):
    obj = {"project": ProjectFactory, "customer": CustomerFactory, "employee": EmployeeFactory}[kind](tenant=world.a)
    field = "first_name" if kind == Link.Kind.EMPLOYEE else "name"
    update(kind, world.a, obj, **{field: getattr(obj, field)})
    assert nothing_queued()


def test_a_refused_change_queues_nothing(world, two_way):
    project = ProjectFactory(tenant=world.a)
    with pytest.raises(ValidationError):
        update(Link.Kind.PROJECT, world.a, project, name="")
    assert nothing_queued()


def test_the_change_and_its_queue_row_are_one_transaction(world, two_way):
    project = ProjectFactory(tenant=world.a, name="Før")
    with pytest.raises(RuntimeError), transaction.atomic():
        update(Link.Kind.PROJECT, world.a, project, name="Etter")
        raise RuntimeError("the caller's transaction fails after the service")
    project.refresh_from_db()
    assert project.name == "Før" and nothing_queued()


def test_the_push_is_asked_for_when_the_change_commits(
    world, two_way, django_capture_on_commit_callbacks, monkeypatch,
):
    asked = []
    monkeypatch.setattr("integrations.connectors.services._enqueue_push", lambda *, tenant_id: asked.append(tenant_id))
    with django_capture_on_commit_callbacks(execute=True):
        create(Link.Kind.CUSTOMER, world.a)
    assert asked == [world.a.id]


def test_customer_cannot_be_set_inactive_here_while_two_way_is_on(world, two_way):
    """Seed 000: Tripletex does not let an integration set a customer inactive; it is done in Tripletex."""
    customer = CustomerFactory(tenant=world.a)
    with pytest.raises(ValidationError) as exc:
        update(Link.Kind.CUSTOMER, world.a, customer, status=Customer.Status.INACTIVE)
    assert "Sett kunden inaktiv i Tripletex" in " ".join(exc.value.message_dict["status"])
    customer.refresh_from_db()
    assert customer.status == Customer.Status.ACTIVE and nothing_queued()


def test_customer_can_be_set_inactive_here_while_two_way_is_off(world):
    customer = CustomerFactory(tenant=world.a)
    update(Link.Kind.CUSTOMER, world.a, customer, status=Customer.Status.INACTIVE)
    customer.refresh_from_db()
    assert customer.status == Customer.Status.INACTIVE


def test_sub_projects_and_projects_without_start_date_are_queued_for_the_connector_to_skip_and_log(world, two_way):
    """Whether to send is the connector's rule, logged where the admin reads it; the page only records the change."""
    main = ProjectFactory(tenant=world.a)
    with scope(tenant=world.a):
        sub = services.project_create(tenant=world.a, name="Under", parent=main)
        assert sub.start_date is None and Project.objects.get(pk=sub.pk).parent == main
    assert pending(world.a) == [(Link.Kind.PROJECT, sub.id, UPSERT)]
