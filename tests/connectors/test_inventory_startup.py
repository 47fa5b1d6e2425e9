"""Seed 003 (Rackbeat), "Oppstartssynkronisering": the optional start-up copy from Tripletex, once.

Each test names the seed's sentence or the rule it proves. The company is connected to its own company in the
fake Tripletex (over HTTP), the inventory connector is switched on, and runs go through the Celery task
`inventory_startup`, which enters the company's scope itself.
"""
from __future__ import annotations

import re
import uuid
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from commerce.models import PaymentTerms, Product, Supplier
from config import celery_app
from hr.models import Customer, Employee
from integrations import tasks
from integrations.connectors import registry, runner
from integrations.connectors.base import SyncContext
from integrations.connectors.inventory import startup
from integrations.connectors.services import ActionRefused
from integrations.models import Connection, ConnectorConfig, Link, SyncRecord, SyncRun
from tenants.models import Membership, User
from tests.factories import CustomerFactory

from .master_data_setup import tripletex_settings  # noqa: F401

A = SyncRecord.Action
ALL = list(startup.KINDS)


class Company:
    def __init__(self, fake, tenant, company_id: int, connection: Connection):
        self.fake, self.tenant, self.company_id, self.connection = fake, tenant, company_id, connection

    def objects(self, kind: str) -> list[dict]:
        return self.fake.objects(self.company_id, kind)

    def read(self, kind: str, tripletex_id: int) -> dict:
        """One object with its address and currency, as Tripletex's API gives it."""
        session = self.fake.session(employee_token=self.connection.employee_token)
        r = session.get(f"{self.fake.base_url}/{kind}/{tripletex_id}",
                        params={"fields": "*,postalAddress(*,country(*)),currency(*)"}, timeout=10)
        r.raise_for_status()
        return r.json()["value"]

    def change(self, kind: str, tripletex_id: int, **fields) -> dict:
        return self.fake.change(self.company_id, kind, tripletex_id, **fields)

    def create(self, kind: str, **fields) -> dict:
        return self.fake.change(self.company_id, kind, **fields)

    def run(self, kinds=None, by=None) -> SyncRun:
        """As the page asks for the copy (in the company's scope) and the worker then carries it out."""
        with scope(tenant=self.tenant):
            run = startup.startup_request(tenant=self.tenant, kinds=kinds or ALL, by=by)
        tasks.inventory_startup(run.id)
        run.refresh_from_db()
        return run

    def linked(self, kind: str, tripletex_id: int):
        with scope(tenant=self.tenant):
            link = Link.objects.get(tenant=self.tenant, tripletex_company_id=self.company_id, kind=kind,
                                    tripletex_id=tripletex_id)
            return startup.SPECS[kind].model.objects.get(id=link.local_id)


@pytest.fixture
def tx(world, fake_tripletex, tripletex_settings) -> Company:  # noqa: F811
    info = fake_tripletex.create_company(f"Lager {uuid.uuid4().hex[:6]} AS", applications=["GrønnJobb"],
                                         employees=4, customers=4, suppliers=3, products=5, projects=1)
    connection = Connection.objects.create(
        tenant=world.a, state=Connection.State.ACTIVE, employee_token=info["employee_tokens"]["GrønnJobb"],
        tripletex_company_id=info["id"], tripletex_company_name=info["name"])
    ConnectorConfig.objects.create(tenant=world.a, name="inventory", enabled=True)
    return Company(fake_tripletex, world.a, info["id"], connection)


def records(run: SyncRun, **filters) -> list[SyncRecord]:
    with scope(tenant=run.tenant):
        return list(run.records.filter(**filters))


# --- the offer -------------------------------------------------------------------------------------------

def test_preview_counts_each_kind_tripletex_holds(tx):
    client = runner.pooled_client_for_connection(tx.connection)

    counts = startup.preview(client)

    assert counts[startup.CUSTOMER] == len(tx.objects("customer")) == 4
    assert counts[startup.SUPPLIER] == len(tx.objects("supplier")) == 3
    assert counts[startup.PRODUCT] == len(tx.objects("product")) == 5
    assert counts[startup.EMPLOYEE] == len(tx.objects("employee")) == 4
    terms = {c["invoicesDueIn"] for c in tx.objects("customer")}
    assert counts[startup.PAYMENT_TERMS] == len(terms) == 2


# --- what it copies --------------------------------------------------------------------------------------

def test_customers_are_copied_with_contact_info_addresses_currency_and_organisation_number(tx):
    theirs = tx.read("customer", tx.objects("customer")[0]["id"])

    run = tx.run([startup.CUSTOMER])

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    ours = tx.linked("customer", theirs["id"])
    address = theirs["postalAddress"]
    assert (ours.customer_number, ours.name, ours.org_number, ours.email, ours.phone) == (
        str(theirs["customerNumber"]), theirs["name"], theirs["organizationNumber"], theirs["email"],
        theirs["phoneNumber"])
    assert (ours.address, ours.postal_code, ours.city, ours.country, ours.currency) == (
        address["addressLine1"], address["postalCode"], address["city"], "NO", "NOK")
    with scope(tenant=tx.tenant):
        assert Customer.objects.filter(tenant=tx.tenant).count() == 4


def test_suppliers_are_copied_with_contact_info_addresses_currency_and_organisation_number(tx):
    tx.change("supplier", tx.objects("supplier")[0]["id"], phoneNumber="55 11 22 33")
    theirs = tx.read("supplier", tx.objects("supplier")[0]["id"])

    run = tx.run([startup.SUPPLIER])

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    ours = tx.linked("supplier", theirs["id"])
    address = theirs["postalAddress"]
    assert (ours.supplier_number, ours.name, ours.org_number, ours.email, ours.phone) == (
        str(theirs["supplierNumber"]), theirs["name"], theirs["organizationNumber"], theirs["email"], "55 11 22 33")
    assert (ours.address, ours.postal_code, ours.city, ours.currency) == (
        address["addressLine1"], address["postalCode"], address["city"], "NOK")
    with scope(tenant=tx.tenant):
        assert Supplier.objects.filter(tenant=tx.tenant).count() == 3


def test_products_are_copied_with_number_name_and_prices_and_stock_is_not_synced(tx):
    theirs = tx.objects("product")[1]

    run = tx.run([startup.PRODUCT])

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    ours = tx.linked("product", theirs["id"])
    assert (ours.number, ours.name) == (theirs["number"], theirs["name"])
    assert ours.sales_price == Decimal(str(theirs["priceExcludingVatCurrency"])).quantize(Decimal("0.01"))
    assert ours.cost_price == Decimal(str(theirs["costExcludingVatCurrency"])).quantize(Decimal("0.01"))
    assert ours.vat_code == "3"
    # Stock is not synced: nothing of it is asked from Tripletex, and our products have no stock to fill.
    assert "stock" not in startup.PRODUCT_FIELDS.lower()
    assert not [f for f in Product._meta.get_fields() if "stock" in f.name]


def test_payment_terms_are_copied_as_the_distinct_terms_of_tripletex_customers(tx):
    customer = tx.objects("customer")[0]
    tx.change("customer", customer["id"], invoicesDueIn=2, invoicesDueInType="MONTHS")

    run = tx.run([startup.PAYMENT_TERMS])

    days = {c["invoicesDueIn"] for c in tx.objects("customer") if c["invoicesDueInType"] == "DAYS"}
    with scope(tenant=tx.tenant):
        assert set(PaymentTerms.objects.filter(tenant=tx.tenant).values_list("days", flat=True)) == days
    assert run.status == SyncRun.Status.SUCCEEDED
    (months,) = records(run, action=A.SKIPPED)
    assert months.rule == startup.RULE_TERMS_NOT_DAYS


def test_employees_get_an_invitation_email_with_a_link_to_set_a_password(tx):
    theirs = [e for e in tx.objects("employee") if e.get("email")]

    run = tx.run([startup.EMPLOYEE])

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e["email"].lower() for e in theirs)
    first = theirs[0]
    employee = tx.linked("employee", first["id"])
    assert (employee.first_name, employee.email) == (first["firstName"], first["email"].lower())
    assert Membership.objects.get(tenant=tx.tenant, user=employee.user).role == Membership.Role.EMPLOYEE
    assert not employee.user.has_usable_password()
    message = next(m for m in mail.outbox if m.to == [employee.email])
    assert tx.tenant.name in message.subject
    link = re.search(r"https?://\S+", message.body).group(0)
    url = urlparse(link)

    visitor = Client()
    assert visitor.get(f"{url.path}?{url.query}").status_code == 200
    response = visitor.post(f"{url.path}?{url.query}", {"new_password1": "Lagerlys-2026!", "new_password2":
                                                        "Lagerlys-2026!"})

    assert response.status_code == 302 and response.url == reverse("login")
    employee.user.refresh_from_db()
    assert employee.user.check_password("Lagerlys-2026!")
    # The link works once: with a password set, it is refused.
    assert visitor.get(f"{url.path}?{url.query}").status_code == 400


def test_an_invitation_link_that_is_made_up_is_refused_with_a_clear_page(world):
    response = Client().get(reverse("integrations:inventory_invite") + "?u=MTIz&t=feil")

    assert response.status_code == 400
    assert "Lenken er ugyldig" in response.content.decode()


def test_an_employee_who_has_left_is_not_copied_or_invited(tx):
    leaver = tx.objects("employee")[1]
    employment = next(e for e in tx.objects("employment") if e["employee"]["id"] == leaver["id"])
    tx.change("employment", employment["id"], endDate="2020-06-30")

    run = tx.run([startup.EMPLOYEE])

    record = next(r for r in records(run) if r.tripletex_id == leaver["id"])
    assert (record.action, record.rule) == (A.SKIPPED, startup.RULE_EMPLOYEE_LEFT)
    assert leaver["email"].lower() not in [m.to[0] for m in mail.outbox]


def test_only_the_kinds_chosen_are_copied(tx):
    tx.run([startup.PRODUCT])

    with scope(tenant=tx.tenant):
        assert Product.objects.filter(tenant=tx.tenant).count() == 5
        assert not Customer.objects.filter(tenant=tx.tenant).exists()
        assert not Supplier.objects.filter(tenant=tx.tenant).exists()
        assert not Employee.objects.filter(tenant=tx.tenant).exists()
    assert not mail.outbox


def test_each_record_is_in_the_runs_log(tx):
    run = tx.run()

    for kind in ("customer", "supplier", "product", "employee"):
        logged = {r.tripletex_id for r in records(run, object_kind=kind)}
        assert logged == {o["id"] for o in tx.objects(kind)}
    assert run.summary["counts"][A.CREATED] == 4 + 3 + 5 + 2 + 4
    assert records(run, object_kind="payment_terms")


# --- matching, twice, half-way, bad data ---------------------------------------------------------------

def test_existing_records_are_matched_by_number_and_email_instead_of_duplicated(tx):
    customer, supplier = tx.objects("customer")[0], tx.objects("supplier")[0]
    product, employee = tx.objects("product")[0], tx.objects("employee")[0]
    ours_c = CustomerFactory(tenant=tx.tenant, customer_number=str(customer["customerNumber"]), name="Gammelt navn")
    ours_s = Supplier.objects.create(tenant=tx.tenant, supplier_number=str(supplier["supplierNumber"]), name="Lev")
    ours_p = Product.objects.create(tenant=tx.tenant, number=product["number"], name="Vare her")
    ours_e = Employee.objects.create(tenant=tx.tenant, first_name="Her", email=employee["email"].upper())

    run = tx.run()

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert tx.linked("customer", customer["id"]) == ours_c
    assert tx.linked("supplier", supplier["id"]) == ours_s
    assert tx.linked("product", product["id"]) == ours_p
    assert tx.linked("employee", employee["id"]) == ours_e
    with scope(tenant=tx.tenant):
        assert Customer.objects.filter(tenant=tx.tenant).count() == 4
        assert Product.objects.filter(tenant=tx.tenant).count() == 5
    ours_c.refresh_from_db()
    assert ours_c.name == customer["name"]
    record = next(r for r in records(run) if r.tripletex_id == customer["id"])
    assert (record.action, record.rule, record.local_id) == (A.UPDATED, startup.RULE_MATCHED_NUMBER, ours_c.id)
    record = next(r for r in records(run, object_kind="employee") if r.tripletex_id == employee["id"])
    assert record.rule == startup.RULE_MATCHED_EMAIL


def test_running_it_twice_creates_nothing_new(tx):
    first = tx.run()
    with scope(tenant=tx.tenant):
        sizes = [m.objects.filter(tenant=tx.tenant).count() for m in (Customer, Supplier, Product, PaymentTerms,
                                                                       Employee, Link)]
    users, sent = User.objects.count(), len(mail.outbox)

    second = tx.run()

    assert first.status == second.status == SyncRun.Status.SUCCEEDED
    with scope(tenant=tx.tenant):
        assert sizes == [m.objects.filter(tenant=tx.tenant).count() for m in (Customer, Supplier, Product,
                                                                              PaymentTerms, Employee, Link)]
    assert (User.objects.count(), len(mail.outbox)) == (users, sent)
    assert set(second.summary["counts"]) == {A.UNCHANGED}


def test_a_connection_removed_half_way_stops_cleanly_and_keeps_what_was_done(tx, monkeypatch):
    monkeypatch.setattr(startup, "PAGE", 2)
    hold = SyncContext.hold
    pages = []

    def hold_then_remove(ctx):
        pages.append(1)
        if len(pages) == 3:  # the admin removes the integration while the third page waits
            Connection.objects.filter(pk=ctx.connection.pk).update(state=Connection.State.REMOVED)
        return hold(ctx)

    monkeypatch.setattr(SyncContext, "hold", hold_then_remove)

    run = tx.run([startup.CUSTOMER, startup.PRODUCT])

    assert run.status == SyncRun.Status.FAILED
    assert "koblet fra" in run.message
    # Two pages of two customers were committed before it stopped; they stay, linked and logged.
    with scope(tenant=tx.tenant):
        assert Customer.objects.filter(tenant=tx.tenant).count() == 4
        assert not Product.objects.filter(tenant=tx.tenant).exists()
    assert len(records(run, action=A.CREATED)) == 4


def test_a_product_without_a_number_in_tripletex_is_logged_and_the_rest_copied(tx):
    product = tx.objects("product")[0]
    tx.change("product", product["id"], number="")

    run = tx.run([startup.PRODUCT])

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    record = next(r for r in records(run) if r.tripletex_id == product["id"])
    assert (record.action, record.rule) == (A.SKIPPED, startup.RULE_MISSING_NUMBER)
    with scope(tenant=tx.tenant):
        assert Product.objects.filter(tenant=tx.tenant).count() == 4


def test_duplicate_numbers_in_tripletex_take_the_first_and_log_the_others(tx):
    """Tripletex refuses an exact duplicate number but tells «AB-1» from «ab-1»; here they are one number."""
    first = tx.create("product", name="Første", number="AB-1")
    twin = tx.create("product", name="Tvilling", number="ab-1")

    run = tx.run([startup.PRODUCT])

    assert tx.linked("product", first["id"]).name == "Første"
    record = next(r for r in records(run) if r.tripletex_id == twin["id"])
    assert (record.action, record.rule) == (A.SKIPPED, startup.RULE_DUPLICATE_NUMBER)
    assert str(first["id"]) in record.message
    with scope(tenant=tx.tenant):
        assert Product.objects.filter(tenant=tx.tenant, number__iexact="ab-1").count() == 1


def test_a_row_here_already_linked_to_another_tripletex_object_is_not_taken_over(tx):
    product = tx.objects("product")[0]
    ours = Product.objects.create(tenant=tx.tenant, number=product["number"], name="Koblet til en annen")
    Link.objects.create(tenant=tx.tenant, tripletex_company_id=tx.company_id, kind="product", local_id=ours.id,
                        tripletex_id=987654321)

    run = tx.run([startup.PRODUCT])

    record = next(r for r in records(run) if r.tripletex_id == product["id"])
    assert (record.action, record.rule, record.local_id) == (A.SKIPPED, startup.RULE_TAKEN, ours.id)
    ours.refresh_from_db()
    assert ours.name == "Koblet til en annen"
    with scope(tenant=tx.tenant):
        assert Product.objects.filter(tenant=tx.tenant, number=product["number"]).count() == 1


def test_a_tripletex_failure_stops_the_run_with_its_message_and_writes_nothing_half(tx):
    tx.fake.set_faults(company_id=tx.company_id, path_prefix="/product", error_rate=1, error_status=500)
    try:
        run = tx.run([startup.CUSTOMER, startup.PRODUCT])
    finally:
        tx.fake.clear_faults()

    assert run.status == SyncRun.Status.FAILED and run.message
    # Everything is read before anything is written: a list Tripletex cannot give leaves nothing half-copied.
    with scope(tenant=tx.tenant):
        assert not Customer.objects.filter(tenant=tx.tenant).exists()
    assert tx.run([startup.CUSTOMER, startup.PRODUCT]).status == SyncRun.Status.SUCCEEDED


def test_a_task_delivered_twice_runs_the_copy_once(tx):
    run = tx.run([startup.PRODUCT])
    with scope(tenant=tx.tenant):
        logged = run.records.count()

    tasks.inventory_startup(run.id)

    with scope(tenant=tx.tenant):
        assert run.records.count() == logged
        assert Product.objects.filter(tenant=tx.tenant).count() == 5


def test_a_failed_startup_record_is_tried_again_by_running_the_copy_again_not_by_its_own_button(tx):
    from integrations.connectors import selectors, services

    with scope(tenant=tx.tenant):
        run = startup.startup_request(tenant=tx.tenant, kinds=ALL, by=None)
        failed = SyncRecord.objects.create(tenant=tx.tenant, run=run, object_kind="product", action=A.FAILED,
                                           direction=SyncRecord.Direction.FROM_TRIPLETEX, tripletex_id=1,
                                           label="1 Vare")

        assert not selectors.can_retry(failed)
        with pytest.raises(ActionRefused, match="Kjør oppstartssynkroniseringen på nytt"):
            services.sync_record_retry(tenant=tx.tenant, record_id=failed.id)


# --- afterwards ------------------------------------------------------------------------------------------

def test_after_the_startup_sync_nothing_but_projects_is_read_from_tripletex(tx):
    """Seed 003: "Det overføres ikke data fra Tripletex … utenom ved oppstartssynkronisering" (projects aside)."""
    tx.run()
    customer, product = tx.objects("customer")[0], tx.objects("product")[0]
    before = (tx.linked("customer", customer["id"]).name, tx.linked("product", product["id"]).name)
    tx.change("customer", customer["id"], name="Endret i Tripletex AS")
    tx.change("product", product["id"], name="Endret vare")

    connector = registry.get("inventory")
    for kind, obj in (("customer", customer), ("product", product)):
        # In the company's scope, as the webhook task hands a change on.
        with scope(tenant=tx.tenant):
            runner.remote_change_process(tenant=tx.tenant, connector_name="inventory", kind=kind,
                                         tripletex_id=obj["id"], event=f"{kind}.update")
    if connector.reconcile is not None:
        with scope(tenant=tx.tenant):
            run = SyncRun.objects.create(tenant=tx.tenant, kind=SyncRun.Kind.CONNECTOR, connector="inventory",
                                         trigger=SyncRun.Trigger.MANUAL)
        tasks.connector_run(run.id)

    assert (tx.linked("customer", customer["id"]).name, tx.linked("product", product["id"]).name) == before
    assert all(event.startswith("project.") for event in connector.events)


# --- the pages -------------------------------------------------------------------------------------------

def admin(world) -> Client:
    return world.client_for(world.alice, world.a)


def test_the_card_offers_the_startup_sync_once_the_connector_is_switched_on(world, tx):
    page = admin(world).get(reverse("integrations:connectors")).content.decode()

    card = re.search(r'id="connector-inventory".*?</section>', page, re.S).group(0)
    assert reverse("integrations:inventory_startup") in card
    assert "Vil du hente data fra Tripletex først?" in card


def test_the_offer_shows_tripletex_counts_and_a_checkbox_per_kind(world, tx):
    response = admin(world).get(reverse("integrations:inventory_startup"))

    page = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'data-testid="count-product">\s*5\s*<', page)
    assert page.count('name="kinds"') == 5
    assert "Start oppstartssynkronisering" in page


def test_starting_queues_one_task_on_commit_and_the_progress_page_shows_the_result(world, tx,
                                                                                   django_capture_on_commit_callbacks):
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = admin(world).post(reverse("integrations:inventory_startup"),
                                         {"kinds": [startup.PRODUCT, startup.SUPPLIER]})
    finally:
        celery_app.conf.task_always_eager = before

    with scope(tenant=world.a):
        run = startup.last_startup_run(tenant=world.a)
    assert len(callbacks) == 1
    assert response.status_code == 302 and response.url == reverse("integrations:inventory_startup_run", args=[run.id])
    assert run.status == SyncRun.Status.SUCCEEDED and run.started_by == world.alice
    page = admin(world).get(response.url).content.decode()
    assert 'aria-valuenow="100"' in page and "Varer" in page and "Leverandører" in page
    assert "Kunder" not in re.search(r'data-testid="startup-results".*?</table>', page, re.S).group(0)
    log = admin(world).get(reverse("integrations:sync_log") + f"?kjoring={run.id}").content.decode()
    assert "Vare" in log and "Hentet fra Tripletex ved oppstartssynkronisering" in log


def test_the_progress_bar_is_polled_while_the_run_goes(world, tx):
    with scope(tenant=world.a):
        run = startup.startup_request(tenant=world.a, kinds=ALL, by=world.alice)
        startup._set_summary(run, total=8, phase="copy")
        SyncRecord.objects.create(tenant=world.a, run=run, object_kind="product", action=A.CREATED, direction="in")
        SyncRecord.objects.create(tenant=world.a, run=run, object_kind="product", action=A.CREATED, direction="in")

    response = admin(world).get(reverse("integrations:inventory_startup_run", args=[run.id]) + "?poll=1",
                                headers={"HX-Request": "true"})

    page = response.content.decode()
    assert 'hx-trigger="every 700ms"' in page
    assert "2 / 8" in page and 'aria-valuenow="25"' in page
    # While it runs, the offer page sends to the progress, so one click cannot start a second copy.
    assert admin(world).get(reverse("integrations:inventory_startup")).url == reverse(
        "integrations:inventory_startup_run", args=[run.id])


def test_starting_without_a_kind_is_refused_with_a_message_and_nothing_queued(world, tx):
    response = admin(world).post(reverse("integrations:inventory_startup"), {})

    assert response.status_code == 400
    assert "Velg minst én type data å hente." in response.content.decode()
    with scope(tenant=world.a):
        assert not startup.startup_runs(tenant=world.a).exists()


def test_starting_with_the_connector_off_is_refused(world, tx):
    with scope(tenant=world.a):
        ConnectorConfig.objects.filter(tenant=world.a, name="inventory").update(enabled=False)

        with pytest.raises(ActionRefused):
            startup.startup_request(tenant=world.a, kinds=ALL, by=None)
    page = admin(world).get(reverse("integrations:inventory_startup")).content.decode()
    assert "før du henter data fra Tripletex" in page and "Start oppstartssynkronisering" not in page


def test_another_companys_startup_run_is_not_found(world, tx):
    with scope(tenant=world.a):
        run = startup.startup_request(tenant=world.a, kinds=ALL, by=world.alice)

    response = world.client_for(world.bob, world.b).get(reverse("integrations:inventory_startup_run", args=[run.id]))

    assert response.status_code == 404


# --- the demo --------------------------------------------------------------------------------------------

def test_in_the_demo_the_startup_sync_fills_the_commerce_records_from_the_fake(db, fake_tripletex,
                                                                               tripletex_settings):  # noqa: F811
    """`make run`: Demo AS here, connected to the fake's Demo AS (which the copy only reads)."""
    from django.core.management import call_command

    from tenants.models import Tenant

    call_command("seed_demo")
    demo = Tenant.objects.get(slug="demo")
    fake_demo = fake_tripletex.demo
    connection = Connection.objects.create(
        tenant=demo, state=Connection.State.ACTIVE, employee_token=fake_demo["employee_tokens"]["GrønnJobb"],
        tripletex_company_id=fake_demo["id"], tripletex_company_name=fake_demo["name"])
    ConnectorConfig.objects.create(tenant=demo, name="inventory", enabled=True)
    tx = Company(fake_tripletex, demo, fake_demo["id"], connection)
    with scope(tenant=demo):
        products_before = Product.objects.filter(tenant=demo).count()
        people_here = set(Employee.objects.filter(tenant=demo).values_list("email", flat=True))

    run = tx.run()

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    with scope(tenant=demo):
        assert Product.objects.filter(tenant=demo).count() == products_before + len(tx.objects("product"))
        assert Supplier.objects.filter(tenant=demo).count() == 2 + len(tx.objects("supplier"))
        # Customer 10001 is in both: the one here is linked, not doubled.
        assert Customer.objects.filter(tenant=demo, customer_number="10001").count() == 1
    # The demo's own people are matched by e-mail and not invited again; the fake's others are invited.
    invited = {m.to[0] for m in mail.outbox}
    assert people_here and not invited & people_here
    assert invited and all(Membership.objects.filter(tenant=demo, user__email=e).exists() for e in invited)
