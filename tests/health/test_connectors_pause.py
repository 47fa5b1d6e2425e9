"""Connectors while Tripletex refuses the key: local changes wait without an attempt counted, changes made
meanwhile are still recorded, webhook deliveries are kept, and a new key sends and hands on what waited."""
import pytest
from django.db import transaction
from django_scopes import scope

from integrations.connectors import runner
from integrations.connectors.services import local_change_record
from integrations.connectors.webhooks import delivery_process
from integrations.models import Connection, Link, OutboundChange, SyncRecord, WebhookDelivery
from integrations.services import connection_token_replace
from tests.connectors.master_data_setup import connect
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def md(world, fake):
    return connect(fake, world.a)


def record_change(md, customer):
    with scope(tenant=md.tenant), transaction.atomic():
        return local_change_record(tenant=md.tenant, kind=Link.Kind.CUSTOMER, local_id=customer.id)


def push(md):
    with scope(tenant=md.tenant):
        return runner.outbound_changes_push(tenant=md.tenant)


def replace_key(md):
    token = md.fake.make_token(md.company_id, "GrønnJobb")
    with scope(tenant=md.tenant):
        connection_token_replace(tenant=md.tenant, by=None, employee_token=token, company_id=md.company_id,
                                 employee_name="Ny bruker", key_rights={})


def test_a_local_change_refused_for_the_key_waits_and_goes_once_with_the_new_key(md):
    with scope(tenant=md.tenant):
        first = CustomerFactory(tenant=md.tenant, name="Ventekunde AS")
        record_change(md, first)
        md.fake.revoke_token(md.connection.employee_token)
        push(md)
        change = OutboundChange.objects.get(tenant=md.tenant, local_id=first.id)
        assert (change.state, change.attempts) == (OutboundChange.State.PENDING, 0)
        assert Connection.objects.get(tenant=md.tenant).needs_token
        assert not SyncRecord.objects.filter(tenant=md.tenant, action=SyncRecord.Action.FAILED).exists()
        # A change made while the connection waits is recorded all the same.
        second = CustomerFactory(tenant=md.tenant, name="Ventekunde to AS")
        assert record_change(md, second) is not None
        replace_key(md)
        push(md)
        names = [c["name"] for c in md.fake.objects(md.company_id, "customer")]
        assert names.count("Ventekunde AS") == 1 and names.count("Ventekunde to AS") == 1
        assert set(OutboundChange.objects.filter(tenant=md.tenant).values_list("state", flat=True)) == {"done"}


def test_a_webhook_delivery_taken_while_waiting_is_kept_and_handed_on_with_the_new_key(
        md, django_capture_on_commit_callbacks):
    with scope(tenant=md.tenant):
        project = md.fake.objects(md.company_id, "project")[0]
        Connection.objects.filter(pk=md.connection.pk).update(state=Connection.State.NEEDS_TOKEN)
        delivery = WebhookDelivery.objects.create(tenant=md.tenant, key="k-1", event="project.create",
                                                  tripletex_id=project["id"])
        with scope(tenant=md.tenant):
            delivery_process(delivery=delivery)
        delivery.refresh_from_db()
        assert delivery.processed_at is None
        with django_capture_on_commit_callbacks(execute=True):  # the delivery task runs eagerly on commit
            replace_key(md)
        delivery.refresh_from_db()
        assert delivery.processed_at is not None
        assert Link.objects.filter(tenant=md.tenant, kind=Link.Kind.PROJECT, tripletex_id=project["id"]).exists()
