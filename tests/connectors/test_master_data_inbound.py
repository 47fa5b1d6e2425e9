"""Seed 000, Tripletex → here: webhook events and the reconcile of the two-way master-data connector.

Each test changes the fake Tripletex as a Tripletex user would, then lets the connector see it.
"""
import datetime as dt

import pytest

from hr.models import Customer, Employee, Project
from integrations.connectors.master_data import rules
from integrations.models import Link, SyncRecord, SyncRun
from tests.factories import CustomerFactory, EmployeeFactory, ProjectFactory

from .master_data_setup import md, synced, tripletex_settings  # noqa: F401

A = SyncRecord.Action


def test_first_reconcile_brings_every_project_customer_and_employee_here(md):
    run = md.reconcile()

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    for kind, model in (("project", Project), ("customer", Customer), ("employee", Employee)):
        for obj in md.objects(kind):
            row = md.row(kind, obj["id"])
            assert row is not None and isinstance(row, model)
            assert md.record(run, obj["id"]).action == A.CREATED
    project = md.objects("project")[0]
    ours = md.row("project", project["id"])
    assert (ours.number, ours.name, ours.start_date.isoformat()) == (project["number"], project["name"],
                                                                     project["startDate"])
    assert ours.customer == md.row("customer", project["customer"]["id"])
    assert md.config.watermark is not None


def test_project_closed_in_tripletex_completes_ours(synced):
    project = synced.objects("project")[0]
    synced.change("project", project["id"], isClosed=True)

    run = synced.webhook("project", project["id"])

    assert synced.row("project", project["id"]).status == Project.Status.COMPLETED
    record = synced.record(run, project["id"])
    assert (record.action, record.rule) == (A.UPDATED, str(rules.PROJECT_CLOSED_IN_TRIPLETEX))


def test_project_deleted_in_tripletex_completes_ours(synced):
    project = synced.objects("project")[0]
    synced.delete("project", project["id"])

    run = synced.webhook("project", project["id"], "project.delete")

    assert synced.row("project", project["id"]).status == Project.Status.COMPLETED
    assert synced.link("project", project["id"]).state == Link.State.GONE
    assert synced.record(run, project["id"]).rule == str(rules.PROJECT_DELETED_IN_TRIPLETEX)


def test_customer_set_inactive_in_tripletex_is_inactive_here(synced):
    customer = synced.objects("customer")[0]
    synced.change("customer", customer["id"], isInactive=True)

    run = synced.webhook("customer", customer["id"])

    assert synced.row("customer", customer["id"]).status == Customer.Status.INACTIVE
    assert synced.record(run, customer["id"]).rule == str(rules.CUSTOMER_INACTIVE_IN_TRIPLETEX)
