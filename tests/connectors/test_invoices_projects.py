"""Seed 004 (Drifti), projects: «Ved opprettelse av nytt oppdrag i Drifti blir det automatisk opprettet et
tilsvarende prosjekt i Tripletex», found by number first and used only on a 100 % match, never overwritten; sent
by "Faktura og innbetalinger" only while no other switched-on connector owns projects."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope

from hr import services as hr
from integrations.connectors import registry, remote_changes
from integrations.connectors.invoices import rules
from integrations.models import ConnectorConfig, OutboundChange, SyncRecord

from .invoices_setup import drifti, tripletex_settings  # noqa: F401

pytestmark = pytest.mark.django_db
Action = SyncRecord.Action


def _new_project(drifti, number="8001", name="Nytt oppdrag", **data):
    with scope(tenant=drifti.tenant):
        return hr.project_create(tenant=drifti.tenant, number=number, name=name, **data)


def _theirs(drifti, number: str) -> list[dict]:
    return [p for p in drifti.fake.objects(drifti.company_id, "project") if str(p["number"]) == number]


def _by_hand(drifti, number: str, name: str) -> dict:
    manager = drifti.fake.objects(drifti.company_id, "employee")[0]["id"]
    return drifti.fake.change(drifti.company_id, "project", name=name, number=number, startDate="2026-01-01",
                              projectManager={"id": manager})


def test_new_project_here_creates_a_project_in_tripletex_on_its_own_with_its_customer(drifti):
    project = _new_project(drifti, customer=drifti.sales["customer"], start_date=dt.date(2026, 4, 1))
    drifti.push()
    [made] = _theirs(drifti, "8001")
    assert (made["name"], made["startDate"]) == ("Nytt oppdrag", "2026-04-01")
    customer_link = drifti.link("customer", drifti.sales["customer"].id)
    assert made["customer"]["id"] == customer_link.tripletex_id  # «Kunder blir overført ved opprettelse av nytt oppdrag»
    assert drifti.link("project", project.id).tripletex_id == made["id"]
    [record] = drifti.records("project", project.id)
    assert (record.action, record.rule, record.tripletex_id) == (Action.CREATED, str(rules.PROJECT_CREATED), made["id"])
    assert drifti.vouchers() == []  # no invoice was needed for it


def test_new_project_without_a_start_date_starts_today_in_tripletex(drifti):
    _new_project(drifti)
    drifti.push()
    assert _theirs(drifti, "8001")[0]["startDate"] == timezone.localdate().isoformat()


def test_project_made_by_hand_in_tripletex_with_the_same_number_is_linked_and_not_overwritten(drifti):
    theirs = _by_hand(drifti, "8001", "Oppdrag (manuelt)")
    drifti.fake.clear_calls()
    project = _new_project(drifti, name="Annet navn her")
    drifti.push()
    assert _theirs(drifti, "8001") == [theirs]  # same id, name and version: nothing written there
    assert "POST /project" not in drifti.calls() and "PUT /project/{id}" not in drifti.calls()
    assert drifti.link("project", project.id).tripletex_id == theirs["id"]
    [record] = drifti.records("project", project.id)
    assert (record.action, record.rule) == (Action.LINKED, str(rules.PROJECT_FOUND))


def test_new_project_uses_a_project_in_tripletex_only_on_an_exact_number_match(drifti):
    near = _by_hand(drifti, "80011", "Nesten")
    project = _new_project(drifti)
    drifti.push()
    [made] = _theirs(drifti, "8001")
    assert made["id"] != near["id"] and _theirs(drifti, "80011") == [near]
    assert drifti.link("project", project.id).tripletex_id == made["id"]


def test_project_edited_here_after_it_was_sent_is_not_changed_in_tripletex_and_sent_once(drifti):
    project = _new_project(drifti)
    drifti.push()
    [made] = _theirs(drifti, "8001")
    with scope(tenant=drifti.tenant):
        hr.project_update(tenant=drifti.tenant, project=project, data={"name": "Nytt navn her"})
    drifti.push()
    assert _theirs(drifti, "8001") == [made]
    assert [(r.action, r.rule) for r in drifti.records("project", project.id)] == [
        (Action.CREATED, str(rules.PROJECT_CREATED)), (Action.UNCHANGED, str(rules.PROJECT_ALREADY_LINKED))]


def test_project_deleted_here_is_never_deleted_in_tripletex_nor_created_there(drifti):
    sent = _new_project(drifti)
    drifti.push()
    unsent = _new_project(drifti, number="8002")
    with scope(tenant=drifti.tenant):
        hr.project_delete(tenant=drifti.tenant, project=sent)
        hr.project_delete(tenant=drifti.tenant, project=unsent)
    drifti.push()
    assert len(_theirs(drifti, "8001")) == 1 and _theirs(drifti, "8002") == []
    assert [(r.action, r.rule) for r in drifti.records("project", unsent.id)] == [
        (Action.SKIPPED, str(rules.PROJECT_DELETED_HERE))]


def test_project_whose_answer_was_lost_is_found_by_its_number_not_made_twice(drifti):
    project = _new_project(drifti)
    drifti.fake.set_faults(path_prefix="/project", drop_after_commit=1, company_id=drifti.company_id)
    drifti.push()
    drifti.fake.clear_faults()
    assert drifti.link("project", project.id) is None and len(_theirs(drifti, "8001")) == 1
    with scope(tenant=drifti.tenant):
        OutboundChange.objects.filter(tenant=drifti.tenant, kind="project").update(next_attempt_at=None)
    drifti.push()
    [made] = _theirs(drifti, "8001")
    assert drifti.link("project", project.id).tripletex_id == made["id"]


def test_invoice_for_a_project_another_worker_is_sending_waits_instead_of_creating_it_twice(drifti):
    with scope(tenant=drifti.tenant):
        project = _new_project(drifti)
        OutboundChange.objects.filter(kind="project", local_id=project.id).update(
            state=OutboundChange.State.SENDING, claimed_by="other-worker", claimed_at=timezone.now())
        invoice = drifti.issue(project=project)
        drifti.push()
        assert _theirs(drifti, "8001") == [] and drifti.vouchers() == []
        OutboundChange.objects.filter(kind="project", local_id=project.id).update(
            state=OutboundChange.State.PENDING, claimed_by="", claimed_at=None)
        OutboundChange.objects.filter(tenant=drifti.tenant).update(next_attempt_at=None)
        drifti.push()
        assert len(_theirs(drifti, "8001")) == 1
        assert {p["project"]["number"] for p in drifti.voucher(str(invoice.number))["postings"]
                if p.get("project")} == {"8001"}


def test_nothing_is_queued_for_a_new_project_while_the_connector_is_off(drifti):
    with scope(tenant=drifti.tenant):
        ConnectorConfig.objects.filter(tenant=drifti.tenant, name="invoices").update(enabled=False)
        _new_project(drifti)
        assert not OutboundChange.objects.filter(tenant=drifti.tenant, kind="project").exists()


def test_with_the_two_way_connector_on_it_alone_sends_projects_so_no_two_connectors_own_them(drifti):
    ConnectorConfig.objects.create(tenant=drifti.tenant, name="master_data", enabled=True)
    project = _new_project(drifti, start_date=dt.date(2026, 4, 1))
    drifti.push()
    assert len(_theirs(drifti, "8001")) == 1
    assert {r.run.connector for r in drifti.records("project", project.id)} == {"master_data"}


def test_invoices_connector_stands_in_for_projects_only_while_no_owner_is_on():
    assert [c.name for c in registry.senders_of("project", enabled={"invoices"})] == ["invoices"]
    assert [c.name for c in registry.senders_of("project", enabled={"invoices", "master_data"})] == ["master_data"]
    assert "invoices" not in {c.name for c in registry.owners_of("project")}


def test_the_nightly_check_of_projects_in_tripletex_still_runs_with_only_the_invoices_connector_on(drifti):
    # It sends new projects one way; changes made in Tripletex are not kept in step by it.
    with scope(tenant=drifti.tenant):
        assert remote_changes.needed(tenant=drifti.tenant)
