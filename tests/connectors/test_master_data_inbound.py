"""Seed 000, Tripletex → here: webhook events and the reconcile of the two-way master-data connector.

Each test changes the fake Tripletex as a Tripletex user would, then lets the connector see it.
"""
import datetime as dt

from django_scopes import scope

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


def test_customer_set_active_in_tripletex_is_active_here(synced):
    customer = synced.objects("customer")[0]
    synced.change("customer", customer["id"], isInactive=True)
    synced.webhook("customer", customer["id"])
    synced.change("customer", customer["id"], isInactive=False)

    run = synced.webhook("customer", customer["id"])

    assert synced.row("customer", customer["id"]).status == Customer.Status.ACTIVE
    assert synced.record(run, customer["id"]).rule == str(rules.CUSTOMER_ACTIVE_IN_TRIPLETEX)


def test_customer_deleted_in_tripletex_is_deleted_here(synced):
    customer = synced.objects("customer")[0]
    synced.delete("customer", customer["id"])

    run = synced.webhook("customer", customer["id"], "customer.delete")

    assert synced.row("customer", customer["id"]).status == Customer.Status.DELETED
    record = synced.record(run, customer["id"])
    assert (record.action, record.rule) == (A.DELETED, str(rules.CUSTOMER_DELETED_IN_TRIPLETEX))


def test_changes_in_tripletex_to_a_customer_deleted_here_are_not_synced(synced):
    customer = synced.objects("customer")[0]
    ours = synced.row("customer", customer["id"])
    ours.status = Customer.Status.DELETED
    ours.save()
    with scope(tenant=synced.tenant):
        Link.objects.filter(id=synced.link("customer", customer["id"]).id).update(state=Link.State.BROKEN)
    synced.change("customer", customer["id"], name="Nytt navn i Tripletex AS")

    run = synced.webhook("customer", customer["id"])

    ours.refresh_from_db()
    assert (ours.name, ours.status) == (customer["name"], Customer.Status.DELETED)
    record = synced.record(run, customer["id"])
    assert (record.action, record.rule) == (A.SKIPPED, str(rules.CUSTOMER_LINK_BROKEN))


def test_internal_project_created_in_tripletex_is_not_synced(synced):
    manager = synced.objects("employee")[0]["id"]
    internal = synced.create("project", name="Internt: kurs", startDate="2026-01-01", isInternal=True,
                             projectManager={"id": manager})

    run = synced.webhook("project", internal["id"], "project.create")

    assert synced.link("project", internal["id"]) is None
    with scope(tenant=synced.tenant):
        assert not Project.objects.filter(name="Internt: kurs").exists()
    record = synced.record(run, internal["id"])
    assert (record.action, record.rule) == (A.SKIPPED, str(rules.PROJECT_INTERNAL_FROM_TRIPLETEX))


def test_subproject_created_in_tripletex_is_not_synced(synced):
    main = synced.objects("project")[0]
    sub = synced.create("project", name="Delprosjekt", startDate="2026-01-01", mainProject={"id": main["id"]},
                        projectManager={"id": synced.objects("employee")[0]["id"]})

    run = synced.webhook("project", sub["id"], "project.create")

    assert synced.link("project", sub["id"]) is None
    assert synced.record(run, sub["id"]).rule == str(rules.PROJECT_SUBPROJECT)


def test_inactive_customer_created_in_tripletex_is_not_synced(synced):
    customer = synced.create("customer", name="Sovende kunde AS", isInactive=True)

    run = synced.webhook("customer", customer["id"], "customer.create")

    assert synced.link("customer", customer["id"]) is None
    with scope(tenant=synced.tenant):
        assert not Customer.objects.filter(name="Sovende kunde AS").exists()
    assert synced.record(run, customer["id"]).rule == str(rules.CUSTOMER_INACTIVE)


def test_employee_without_last_name_in_tripletex_is_not_synced(world, fake_tripletex, tripletex_settings):
    # Tripletex refuses such employees through the API; the demo company has some, so read it (never change it).
    from .master_data_setup import connect

    demo = fake_tripletex.demo
    md = connect(fake_tripletex, world.b, company_id=demo["id"], token=demo["employee_tokens"]["GrønnJobb"])
    nameless = next(e for e in md.objects("employee") if not e.get("lastName"))

    run = md.webhook("employee", nameless["id"], "employee.create")

    assert md.link("employee", nameless["id"]) is None
    with scope(tenant=world.b):
        assert not Employee.objects.filter(tenant=world.b).exists()
    assert md.record(run, nameless["id"]).rule == str(rules.EMPLOYEE_NO_LAST_NAME)


def test_employee_without_number_in_tripletex_gets_one_written_back(synced):
    with scope(tenant=synced.tenant):
        highest = max(int(e.employee_number) for e in Employee.objects.filter(tenant=synced.tenant))
    new = synced.create("employee", firstName="Nina", lastName="Nummerløs", email="nina@example.no")

    run = synced.webhook("employee", new["id"], "employee.create")

    ours = synced.row("employee", new["id"])
    assert ours.employee_number == str(highest + 1)
    assert synced.get("employee", new["id"])["employeeNumber"] == ours.employee_number
    record = synced.record(run, new["id"])
    assert (record.action, record.rule) == (A.CREATED, str(rules.EMPLOYEE_NUMBER_GENERATED))
    link = synced.link("employee", new["id"])
    assert link.synced_values["employee_number"] == ours.employee_number
    assert link.tripletex_version == synced.get("employee", new["id"])["version"]


def test_employee_whose_number_is_removed_in_tripletex_gets_ours_written_back(synced):
    remote = synced.objects("employee")[1]
    ours = synced.row("employee", remote["id"])
    synced.change("employee", remote["id"], employeeNumber="")

    run = synced.webhook("employee", remote["id"])

    assert synced.get("employee", remote["id"])["employeeNumber"] == ours.employee_number == remote["employeeNumber"]
    assert str(rules.EMPLOYEE_NUMBER_GENERATED) in synced.record(run, remote["id"]).rule


def test_employee_without_number_in_tripletex_keeps_ours_and_the_log_does_not_say_tripletex_won(synced):
    # Linked by the wizard, before the two-way sync: the two sides never agreed on any value.
    remote = synced.objects("employee")[1]
    ours = synced.row("employee", remote["id"])
    with scope(tenant=synced.tenant):
        Link.objects.filter(pk=synced.link("employee", remote["id"]).pk).update(synced_values={},
                                                                                tripletex_version=None)
    synced.change("employee", remote["id"], employeeNumber="")

    run = synced.webhook("employee", remote["id"])

    assert synced.get("employee", remote["id"])["employeeNumber"] == ours.employee_number != ""
    record = synced.record(run, remote["id"])
    assert record.rule == str(rules.EMPLOYEE_NUMBER_GENERATED)
    assert ours.employee_number not in record.message


def test_employee_number_that_could_not_be_written_back_is_tried_again(synced):
    new = synced.create("employee", firstName="Ola", lastName="Uheldig", email="ola@example.no")
    # The read goes through, the write of the number fails.
    synced.fake.set_faults(company_id=synced.company_id, path_prefix=f"/employee/{new['id']}", error_rate=0.5,
                           error_status=500)
    failed = synced.webhook("employee", new["id"], "employee.create")
    synced.fake.clear_faults()
    number = synced.row("employee", new["id"]).employee_number

    run = synced.webhook("employee", new["id"])

    assert synced.record(failed, new["id"]).action == A.FAILED
    assert synced.get("employee", new["id"])["employeeNumber"] == number != ""
    assert str(rules.EMPLOYEE_NUMBER_GENERATED) in synced.record(run, new["id"]).rule


def test_employee_number_used_by_another_employee_here_fails_clearly(md):
    first = md.objects("employee")[0]
    EmployeeFactory(tenant=md.tenant, first_name="Samme", email=first["email"], employee_number="555")
    EmployeeFactory(tenant=md.tenant, first_name="Annen", email="annen@example.no",
                    employee_number=first["employeeNumber"])

    run = md.reconcile()

    record = md.record(run, first["id"])
    assert record.action == A.FAILED and first["employeeNumber"] in record.message
    assert md.link("employee", first["id"]) is None
    assert run.status == SyncRun.Status.PARTIAL


def test_field_changed_only_in_tripletex_is_written_here(synced):
    project = synced.objects("project")[0]
    synced.change("project", project["id"], name="Nytt navn fra Tripletex", endDate="2027-06-30")

    run = synced.webhook("project", project["id"])

    ours = synced.row("project", project["id"])
    assert (ours.name, ours.end_date) == ("Nytt navn fra Tripletex", dt.date(2027, 6, 30))
    record = synced.record(run, project["id"])
    assert record.action == A.UPDATED and record.rule == ""
    assert synced.link("project", project["id"]).synced_values["name"] == "Nytt navn fra Tripletex"


def test_field_changed_on_both_sides_tripletex_wins_and_is_logged(synced):
    project = synced.objects("project")[0]
    ours = synced.row("project", project["id"])
    ours.name = "Vårt navn"
    ours.save()
    synced.change("project", project["id"], name="Tripletex sitt navn")

    run = synced.webhook("project", project["id"])

    ours.refresh_from_db()
    assert ours.name == "Tripletex sitt navn"
    record = synced.record(run, project["id"])
    assert record.rule == str(rules.BOTH_CHANGED_TRIPLETEX_WINS)
    assert "Vårt navn" in record.message


def test_field_changed_only_here_is_kept_for_tripletex(synced):
    project = synced.objects("project")[0]
    ours = synced.row("project", project["id"])
    ours.end_date = dt.date(2028, 1, 31)
    ours.save()
    synced.change("project", project["id"], name="Navn fra Tripletex")

    synced.webhook("project", project["id"])

    ours.refresh_from_db()
    assert (ours.name, ours.end_date) == ("Navn fra Tripletex", dt.date(2028, 1, 31))
    agreed = synced.link("project", project["id"]).synced_values
    # Still differs from what both sides agreed on, so the outbound side sends it.
    assert agreed["end_date"] != "2028-01-31"
    assert rules.changed_fields(rules.local_values("project", ours), agreed) == {"end_date"}


def test_our_own_change_coming_back_from_tripletex_changes_nothing(synced):
    project = synced.objects("project")[0]
    ours = synced.row("project", project["id"])
    ours.name = "Sendt herfra"
    ours.save()
    # As the outbound side does after writing: Tripletex holds our values, both sides agree on them.
    synced.change("project", project["id"], name="Sendt herfra")
    link = synced.link("project", project["id"])
    rules.link_agree(link, values=rules.local_values("project", ours))
    link.save()
    with scope(tenant=synced.tenant):
        before = Project.objects.get(id=ours.id).updated_at

    run = synced.webhook("project", project["id"])

    # Nothing to apply and nothing to log: an echo leaves no run behind to clutter the log.
    assert run is None
    with scope(tenant=synced.tenant):
        assert not SyncRecord.objects.filter(tripletex_id=project["id"],
                                             run__trigger=SyncRun.Trigger.WEBHOOK).exists()
        assert Project.objects.get(id=ours.id).updated_at == before
    assert synced.link("project", project["id"]).tripletex_version == synced.get("project", project["id"])["version"]


def test_unlinked_rows_with_the_same_number_or_email_are_linked_not_duplicated(md):
    project, customer, employee = md.objects("project")[0], md.objects("customer")[0], md.objects("employee")[0]
    our_project = ProjectFactory(tenant=md.tenant, number=project["number"], name="Vårt gamle navn")
    our_customer = CustomerFactory(tenant=md.tenant, customer_number=str(customer["customerNumber"]))
    our_employee = EmployeeFactory(tenant=md.tenant, email=employee["email"].upper(), employee_number="")

    run = md.reconcile()

    assert md.row("project", project["id"]) == our_project
    assert md.row("customer", customer["id"]) == our_customer
    assert md.row("employee", employee["id"]) == our_employee
    with scope(tenant=md.tenant):
        assert Project.objects.filter(tenant=md.tenant, number=project["number"]).count() == 1
    our_project.refresh_from_db()
    our_employee.refresh_from_db()
    assert our_project.name == project["name"]
    assert our_employee.employee_number == employee["employeeNumber"]
    record = md.record(run, project["id"])
    assert (record.action, record.rule) == (A.LINKED, str(rules.LINKED_BY_NUMBER))


def test_the_same_event_twice_changes_once(synced):
    project = synced.objects("project")[0]
    synced.change("project", project["id"], name="Endret én gang")

    first = synced.webhook("project", project["id"])
    updated_at = synced.row("project", project["id"]).updated_at
    second = synced.webhook("project", project["id"])

    assert synced.record(first, project["id"]).action == A.UPDATED
    assert second is None  # nothing new: nothing written, nothing logged
    assert synced.row("project", project["id"]).updated_at == updated_at


def test_an_object_not_newer_than_the_link_changes_nothing(synced):
    project = synced.objects("project")[0]
    link = synced.link("project", project["id"])
    with scope(tenant=synced.tenant):
        Link.objects.filter(id=link.id).update(tripletex_version=project["version"] + 5)
    synced.change("project", project["id"], name="Eldre enn det vi har sett")

    run = synced.webhook("project", project["id"])

    assert synced.row("project", project["id"]).name == project["name"]
    assert run is None


def test_employee_deleted_in_tripletex_keeps_ours_and_ends_the_link(synced):
    employee = synced.objects("employee")[2]
    synced.delete("employee", employee["id"])

    run = synced.webhook("employee", employee["id"], "employee.delete")

    assert synced.row("employee", employee["id"]) is not None
    assert synced.link("employee", employee["id"]).state == Link.State.GONE
    assert synced.record(run, employee["id"]).rule == str(rules.EMPLOYEE_DELETED_IN_TRIPLETEX)


# --- the reconcile -------------------------------------------------------------------------------------

def test_reconcile_finds_projects_and_customers_deleted_in_tripletex(synced):
    project, customer = synced.objects("project")[1], synced.objects("customer")[1]
    synced.delete("project", project["id"])
    synced.delete("customer", customer["id"])

    run = synced.reconcile()

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert synced.row("project", project["id"]).status == Project.Status.COMPLETED
    assert synced.row("customer", customer["id"]).status == Customer.Status.DELETED
    assert {r.tripletex_id for r in synced.records(run)} == {project["id"], customer["id"]}


def test_customers_are_counted_not_listed_once_every_one_is_known(world, fake_tripletex, tripletex_settings):
    from .master_data_setup import connect

    fake_tripletex.set_clock(offset_seconds=-86400)  # all of it happened yesterday
    synced = connect(fake_tripletex, world.a)
    synced.reconcile()
    inactive = synced.create("customer", name="Sovende AS", isInactive=True)
    synced.webhook("customer", inactive["id"], "customer.create")  # skipped, outside any reconcile
    synced.reconcile()  # its count is one off: lists the ids once and learns of it
    before = synced.calls()

    run = synced.reconcile()

    assert run.status == SyncRun.Status.SUCCEEDED
    # The changes since the last run, then a count: no id list.
    assert synced.calls()["GET /customer"] - before["GET /customer"] == 2


def test_reconcile_reads_every_page(md, tripletex_settings):
    tripletex_settings["page_size"] = 2

    run = md.reconcile()

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    for kind in ("project", "customer", "employee"):
        assert all(md.link(kind, o["id"]) for o in md.objects(kind))


def test_reconcile_logs_an_object_a_rule_skips_once_per_version(synced):
    manager = synced.objects("employee")[0]["id"]
    internal = synced.create("project", name="Internt", startDate="2026-01-01", isInternal=True,
                             projectManager={"id": manager})
    first = synced.reconcile()
    synced.change("project", synced.objects("project")[0]["id"], name="Noe annet endret")

    second = synced.reconcile()

    assert synced.record(first, internal["id"]).action == A.SKIPPED
    assert synced.records(second, tripletex_id=internal["id"]) == []


def test_watermark_moves_only_when_the_reconcile_succeeds(synced):
    watermark, digests = synced.config.watermark, dict(synced.config.digests)
    employee = synced.objects("employee")[0]
    synced.change("employee", employee["id"], firstName="Endret")
    synced.fake.set_faults(company_id=synced.company_id, path_prefix="/employee", error_rate=1, error_status=500)

    failed = synced.reconcile()

    assert failed.status == SyncRun.Status.FAILED
    assert (synced.config.watermark, synced.config.digests) == (watermark, digests)
    synced.fake.clear_faults()
    run = synced.reconcile()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert synced.config.watermark > watermark
    assert synced.row("employee", employee["id"]).first_name == "Endret"


def test_reconcile_is_right_when_tripletex_ignores_changed_since(synced, caplog):
    # The first sync was an hour ago, the last successful run half an hour ago.
    hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with scope(tenant=synced.tenant):
        Link.objects.filter(tenant=synced.tenant).update(synced_at=hour_ago)
    synced.config.watermark = hour_ago + dt.timedelta(minutes=30)
    synced.config.save()
    changed = synced.objects("customer")[0]
    synced.change("customer", changed["id"], name="Endret etter siste kjøring AS")
    synced.fake.settings(ignore_changed_since=True)

    run = synced.reconcile()

    assert run.status == SyncRun.Status.SUCCEEDED
    assert synced.row("customer", changed["id"]).name == "Endret etter siste kjøring AS"
    assert [r.tripletex_id for r in synced.records(run)] == [changed["id"]]
    assert run.summary["changed_since_ignored"] == len(synced.objects("customer")) - 1
    assert len([r for r in caplog.records if "changedSince looks ignored" in r.getMessage()]) == 1


def _incremental_calls(md, changes: int) -> dict[str, int]:
    md.reconcile()
    md.fake.reset_clock()
    for customer in md.objects("customer")[:changes]:
        md.change("customer", customer["id"], name=customer["name"] + " endret")
    before = md.calls()
    run = md.reconcile()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert len(md.records(run, action=A.UPDATED)) == changes
    after = md.calls()
    return {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key, 0)}


def test_incremental_reconcile_after_ten_changes_makes_few_calls_whatever_the_size(world, fake_tripletex,
                                                                                  tripletex_settings):
    from .master_data_setup import connect

    # Pages of 100, so a list read in full would show as several calls; the data was made yesterday, so only
    # the changes below are newer than the safety margin before the last run.
    tripletex_settings["page_size"] = 100
    fake_tripletex.set_clock(offset_seconds=-86400)
    small = connect(fake_tripletex, world.a, employees=12, projects=12, customers=12)
    large = connect(fake_tripletex, world.b, employees=400, projects=400, customers=400)

    small_calls = _incremental_calls(small, 10)
    fake_tripletex.set_clock(offset_seconds=-86400)
    large_calls = _incremental_calls(large, 10)

    assert small_calls == large_calls
    # A session, the changed customers, a count of customers (none deleted), a 304 each for projects and employees.
    assert sum(large_calls.values()) <= 5, large_calls


def test_connection_removed_half_way_stops_the_reconcile(md, tripletex_settings, monkeypatch, world):
    from integrations.services import connection_remove
    from integrations.tripletex import TripletexClient

    tripletex_settings["page_size"] = 1
    original, pages = TripletexClient.list_page, []

    def list_page(self, *args, **kwargs):
        body = original(self, *args, **kwargs)
        pages.append(body)
        if len(pages) == 2:
            with scope(tenant=md.tenant):  # the admin's request, in its own scope
                connection_remove(tenant=md.tenant, by=world.alice)
        return body

    monkeypatch.setattr(TripletexClient, "list_page", list_page)

    run = md.reconcile()

    assert run.status == SyncRun.Status.FAILED
    with scope(tenant=md.tenant):
        assert Customer.objects.filter(tenant=md.tenant).count() == 1
    assert md.config.watermark is None
    assert len(pages) == 2
