"""Seed 003 (Rackbeat): "Hva kan overføres fra Tripletex til Rackbeat? Prosjekt" — and only that, after the start."""
from __future__ import annotations

import pytest
from django_scopes import scope

from commerce.forms import InvoiceForm, PurchaseOrderForm
from hr.models import Project
from integrations import tasks
from integrations.connectors import runner
from integrations.connectors.inventory import projects
from integrations.models import Link, SyncRecord, SyncRun
from tests.factories import ProjectFactory

from .inventory_setup import rackbeat, tripletex_settings  # noqa: F401

pytestmark = pytest.mark.django_db
Action = SyncRecord.Action


def _reconcile(rackbeat) -> SyncRun:
    with scope(tenant=rackbeat.tenant):
        run = SyncRun.objects.create(tenant=rackbeat.tenant, kind=SyncRun.Kind.CONNECTOR, connector="inventory",
                                     trigger=SyncRun.Trigger.MANUAL)
    tasks.connector_run(run.id)
    run.refresh_from_db()
    return run


def _ours(rackbeat, remote) -> Project:
    with scope(tenant=rackbeat.tenant):
        link = Link.objects.get(tenant=rackbeat.tenant, kind=Link.Kind.PROJECT, tripletex_id=remote["id"])
        return Project.objects.get(id=link.local_id)


def test_projects_come_from_tripletex_and_can_be_chosen_on_sales_and_purchase_orders(rackbeat):
    remote = rackbeat.fake.change(rackbeat.company_id, "project", name="Lagerhall Vestby", number="4711",
                                  startDate="2026-01-01", projectManager={"id": rackbeat.remote("employee")[0]["id"]})
    run = _reconcile(rackbeat)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    ours = _ours(rackbeat, remote)
    assert (ours.number, ours.name, ours.status) == ("4711", "Lagerhall Vestby", Project.Status.ACTIVE)
    with scope(tenant=rackbeat.tenant):
        assert ours in InvoiceForm(tenant=rackbeat.tenant).fields["project"].queryset
        assert ours in PurchaseOrderForm(tenant=rackbeat.tenant).fields["project"].queryset
    assert rackbeat.writes() == {}  # read only: nothing is sent back
    # A second run with nothing changed writes nothing to the log.
    run = _reconcile(rackbeat)
    with scope(tenant=rackbeat.tenant):
        assert run.records.count() == 0


def test_project_changed_or_closed_in_tripletex_is_kept_fresh_by_the_webhook(rackbeat):
    remote = rackbeat.remote("project")[0]
    _reconcile(rackbeat)
    rackbeat.fake.change(rackbeat.company_id, "project", remote["id"], name="Nytt navn", isClosed=True)
    with scope(tenant=rackbeat.tenant):
        runner.remote_change_process(tenant=rackbeat.tenant, connector_name="inventory", kind="project",
                                     tripletex_id=remote["id"], event="project.update")
    ours = _ours(rackbeat, remote)
    assert (ours.name, ours.status) == ("Nytt navn", Project.Status.COMPLETED)


def test_project_deleted_in_tripletex_is_completed_here_not_deleted(rackbeat):
    remote = rackbeat.remote("project")[0]
    _reconcile(rackbeat)
    rackbeat.fake.change(rackbeat.company_id, "project", remote["id"], delete=True)
    _reconcile(rackbeat)
    ours = _ours(rackbeat, remote)
    assert ours.status == Project.Status.COMPLETED
    with scope(tenant=rackbeat.tenant):
        record = SyncRecord.objects.filter(tenant=rackbeat.tenant, object_kind="project").order_by("-id").first()
    assert record.rule == str(projects.PROJECT_DELETED_IN_TRIPLETEX)


def test_project_with_the_same_number_here_is_linked_not_duplicated(rackbeat):
    remote = rackbeat.remote("project")[0]
    mine = ProjectFactory(tenant=rackbeat.tenant, number=remote["number"], name="Mitt navn")
    _reconcile(rackbeat)
    assert _ours(rackbeat, remote).id == mine.id
    with scope(tenant=rackbeat.tenant):
        assert Project.objects.filter(tenant=rackbeat.tenant, number=remote["number"]).count() == 1


def test_nothing_else_is_read_from_tripletex_after_the_start_up_copy(rackbeat):
    _reconcile(rackbeat)
    reads = {k for k in rackbeat.calls() if k.startswith("GET") and "/token/session" not in k}
    assert reads == {"GET /project"}
