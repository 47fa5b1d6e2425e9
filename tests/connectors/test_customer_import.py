"""Seed 002 (OC2), customers from Tripletex to us: each field the seed lists and each numbered function."""
import datetime as dt

from django_scopes import scope

from commerce.models import PaymentTerms
from hr.models import Customer
from integrations.connectors.customer_import import rules
from integrations.models import SyncRecord, SyncRun

from .customer_import_setup import imp, imported  # noqa: F401
from .master_data_setup import tripletex_settings  # noqa: F401

A = SyncRecord.Action


def test_customer_import_brings_every_field_the_seed_lists(imp):
    tripletex_id = imp.change(imp.customers()[0]["id"], invoicesDueIn=21, invoicesDueInType="DAYS",
                              website="www.eksempel.no", isInactive=False)["id"]
    tripletex = imp.read(tripletex_id)

    run = imp.run()

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    ours = imp.row(tripletex["id"])
    address = tripletex["postalAddress"]
    assert (ours.customer_number, ours.name, ours.status, ours.org_number) == (
        str(tripletex["customerNumber"]), tripletex["name"], Customer.Status.ACTIVE, tripletex["organizationNumber"])
    assert (ours.currency, ours.payment_terms_days) == ("NOK", 21)
    assert (ours.address, ours.postal_code, ours.city, ours.country) == (
        address["addressLine1"], address["postalCode"], address["city"], "NO")
    assert (ours.phone, ours.email, ours.website) == (tripletex["phoneNumber"], tripletex["email"], "www.eksempel.no")


def test_customer_inactive_in_tripletex_is_imported_as_not_active(imp):
    tripletex = imp.change(imp.customers()[1]["id"], isInactive=True)

    imp.run()

    assert imp.row(tripletex["id"]).status == Customer.Status.INACTIVE


def test_import_is_logged_per_customer_as_created_updated_or_unchanged_with_the_fields_that_changed(imported):
    first, second = imported.customers()[:2]
    imported.change(first["id"], name="Nytt navn AS", phoneNumber="99887766")
    imported.change(second["id"], name=second["name"])  # saved in Tripletex, nothing we import changed
    new = imported.change(name="Helt ny kunde AS", customerNumber=20001, isCustomer=True)

    run = imported.run()

    actions = {r.tripletex_id: r for r in imported.records(run)}
    assert set(actions) == {first["id"], second["id"], new["id"]}
    assert actions[new["id"]].action == A.CREATED
    assert actions[first["id"]].action == A.UPDATED
    assert "navn" in actions[first["id"]].message and "telefon" in actions[first["id"]].message
    assert "e-post" not in actions[first["id"]].message
    assert actions[second["id"]].action == A.UNCHANGED


def test_only_customers_changed_since_the_last_successful_import_are_fetched(imported):
    changed = imported.customers()[2]
    imported.change(changed["id"], email="ny@eksempel.no")

    run = imported.run()

    assert [r.tripletex_id for r in imported.records(run)] == [changed["id"]]
    assert imported.row(changed["id"]).email == "ny@eksempel.no"


def test_watermark_moves_only_when_the_import_succeeds(imported):
    watermark = imported.config.watermark
    imported.fake.set_faults(company_id=imported.company_id, path_prefix="/customer", error_rate=1,
                             error_status=500)

    run = imported.run()

    assert run.status == SyncRun.Status.FAILED
    assert imported.config.watermark == watermark


def test_customer_changed_just_before_the_last_import_is_caught_by_the_safety_margin(imported):
    changed = imported.customers()[0]
    imported.change(changed["id"], name="Endret rett før forrige import AS")
    # The previous import's watermark came two minutes after the change (clocks differ, the change was
    # saved while it read): the next import still asks from before the change.
    imported.config.watermark = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    imported.config.save()

    imported.run()

    assert imported.row(changed["id"]).name == "Endret rett før forrige import AS"


def test_tripletex_ignoring_changed_since_falls_back_to_comparing_versions_logged_once(imported, caplog):
    hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    from integrations.models import Link

    with scope(tenant=imported.tenant):
        Link.objects.filter(tenant=imported.tenant).update(synced_at=hour_ago)
    imported.config.watermark = hour_ago + dt.timedelta(minutes=30)
    imported.config.save()
    changed = imported.customers()[0]
    imported.change(changed["id"], name="Endret etter siste import AS")
    imported.fake.settings(ignore_changed_since=True)

    run = imported.run()

    assert run.status == SyncRun.Status.SUCCEEDED
    assert imported.row(changed["id"]).name == "Endret etter siste import AS"
    assert [r.tripletex_id for r in imported.records(run, action=A.UPDATED)] == [changed["id"]]
    (skipped,) = imported.records(run, action=A.SKIPPED)
    assert skipped.rule == str(rules.CHANGED_SINCE_IGNORED)
    assert run.summary["changed_since_ignored"] == len(imported.customers()) - 1
    assert len([r for r in caplog.records if "changedSince looks ignored" in r.getMessage()]) == 1


def test_payment_term_missing_here_is_created_for_a_new_customer(imp):
    with scope(tenant=imp.tenant):
        PaymentTerms.objects.create(tenant=imp.tenant, name="14 dager", days=14)
    tripletex = imp.change(imp.customers()[0]["id"], invoicesDueIn=45, invoicesDueInType="DAYS")

    run = imp.run()

    with scope(tenant=imp.tenant):
        assert sorted(PaymentTerms.objects.filter(tenant=imp.tenant).values_list("days", flat=True)) == sorted(
            {14, 45} | {c["invoicesDueIn"] for c in imp.customers()})
    record = next(r for r in imp.records(run) if r.tripletex_id == tripletex["id"])
    assert "45 dager" in record.message


def test_customer_already_here_with_the_same_number_is_linked_not_doubled(imp):
    tripletex = imp.customers()[0]
    with scope(tenant=imp.tenant):
        ours = Customer.objects.create(tenant=imp.tenant, customer_number=str(tripletex["customerNumber"]),
                                       name="Gammelt navn")

    run = imp.run()

    assert imp.row(tripletex["id"]).id == ours.id
    with scope(tenant=imp.tenant):
        assert Customer.objects.filter(tenant=imp.tenant, customer_number=ours.customer_number).count() == 1
    assert next(r for r in imp.records(run) if r.tripletex_id == tripletex["id"]).rule == str(rules.CUSTOMER_MATCHED)


def test_currency_is_kept_as_its_three_letter_code_only(imp):
    tripletex = imp.customers()[0]

    imp.run()

    assert imp.row(tripletex["id"]).currency == "NOK"


def test_import_runs_at_the_interval_picked_in_the_options_every_15_minutes_by_default(imp):
    from integrations.connectors.customer_import import CONNECTOR
    from integrations.connectors.schedule import interval_runs_request

    assert CONNECTOR.default_options()["interval_minutes"] == 15
    first = interval_runs_request()
    assert [(r.connector, r.trigger) for r in first] == [("customer_import", SyncRun.Trigger.SCHEDULE)]
    with scope(tenant=imp.tenant):
        SyncRun.objects.filter(id=first[0].id).update(status=SyncRun.Status.SUCCEEDED)

    assert interval_runs_request(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=14)) == []
    assert len(interval_runs_request(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16))) == 1


def test_import_runs_no_sooner_than_a_longer_interval_the_admin_picked(imp):
    from integrations.connectors.schedule import interval_runs_request

    imp.config.options = {"interval_minutes": 60}
    imp.config.save()
    SyncRun.objects.create(tenant=imp.tenant, kind=SyncRun.Kind.CONNECTOR, connector="customer_import",
                           trigger=SyncRun.Trigger.MANUAL, status=SyncRun.Status.SUCCEEDED)

    assert interval_runs_request(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)) == []
    assert len(interval_runs_request(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=61))) == 1


def test_customer_import_cannot_be_switched_on_while_the_two_way_sync_owns_customers(imp):
    import pytest

    from integrations.connectors import services
    from integrations.models import ConnectorConfig

    imp.config.enabled = False
    imp.config.save()
    with scope(tenant=imp.tenant):
        ConnectorConfig.objects.create(tenant=imp.tenant, name="master_data", enabled=True)

        with pytest.raises(services.ActionRefused, match="Prosjekter, kunder og ansatte"):
            services.connector_enable(tenant=imp.tenant, name="customer_import", by=None)
    imp.config.refresh_from_db()
    assert not imp.config.enabled


def test_two_way_sync_cannot_be_switched_on_while_the_customer_import_is_on(imp, world):
    from django.urls import reverse

    from integrations.models import ConnectorConfig

    page = world.client_for(world.alice).post(reverse("integrations:connector_enable", args=["master_data"]),
                                                follow=True)

    assert page.status_code == 200
    assert "Kundeimport og fakturajournal" in page.content.decode()
    with scope(tenant=imp.tenant):
        assert not ConnectorConfig.objects.filter(tenant=imp.tenant, name="master_data", enabled=True).exists()


def test_import_of_10000_customers_where_20_changed_makes_at_most_5_calls(world, fake_tripletex,
                                                                         tripletex_settings):
    from .customer_import_setup import connect

    fake_tripletex.set_clock(offset_seconds=-86400)
    big = connect(fake_tripletex, world.a, customers=10_000)
    fake_tripletex.reset_clock()
    first = big.run()
    assert first.status == SyncRun.Status.SUCCEEDED, first.message
    for customer in big.customers()[:20]:
        big.change(customer["id"], name=customer["name"] + " endret")
    before = big.calls()

    run = big.run()

    after = big.calls()
    calls = {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key, 0)}
    assert len(big.records(run, action=A.UPDATED)) == 20
    assert sum(calls.values()) <= 5, calls
