"""The demo is coherent (seed 002): its invoices' customer is the fake Tripletex Demo AS's customer 10001, with the
same fields, so an import leaves it as it is and a journal of the demo's invoices is sent whole."""
from django.core.management import call_command
from django_scopes import scopes_disabled

from commerce.models import Invoice, InvoiceJournal
from hr.models import Customer
from integrations.connectors.customer_import import NAME
from integrations.connectors.customer_import import journal as journals
from integrations.models import Connection, ConnectorConfig, SyncRecord, SyncRun
from tenants.models import Tenant

from .customer_import_setup import Imp
from .master_data_setup import tripletex_settings  # noqa: F401

FIELDS = ("customer_number", "name", "org_number", "email", "phone", "address", "postal_code", "city", "country",
          "website", "currency", "payment_terms_days", "status")


@scopes_disabled()
def test_demo_invoices_customer_is_in_the_fakes_demo_company_unchanged_by_import_and_the_demo_journal_is_sent(
        db, fake_tripletex, tripletex_settings):  # noqa: F811
    call_command("seed_demo")
    tenant = Tenant.objects.get(slug="demo")
    # A fresh copy of the fake's Demo AS, so the shared one stays as other tests expect it.
    info = fake_tripletex.create_company("Demo AS", applications=["GrønnJobb"], demo=True)
    connection = Connection.objects.create(
        tenant=tenant, state=Connection.State.ACTIVE, employee_token=info["employee_tokens"]["GrønnJobb"],
        tripletex_company_id=info["id"], tripletex_company_name="Demo AS")
    config = ConnectorConfig.objects.create(tenant=tenant, name=NAME, enabled=True, options={"interval_minutes": 15})
    imp = Imp(fake=fake_tripletex, tenant=tenant, company_id=info["id"], connection=connection, config=config)
    invoices = list(Invoice.objects.filter(tenant=tenant, status=Invoice.Status.ISSUED).order_by("number"))
    customers = {i.customer_id for i in invoices}
    before = {c.id: [getattr(c, f) for f in FIELDS] for c in Customer.objects.filter(id__in=customers)}

    run = imp.run()

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert {c.id: [getattr(c, f) for f in FIELDS] for c in Customer.objects.filter(id__in=customers)} == before
    for record in SyncRecord.objects.filter(run=run, object_kind="customer", local_id__in=customers):
        assert "Endret" not in record.message, record.message

    journal = InvoiceJournal.objects.create(tenant=tenant, number=1)
    Invoice.objects.filter(id__in=[i.id for i in invoices]).update(journal=journal)
    send = journals.journal_send_request(journal=journal)
    journals.journal_run_execute(run=send, journal=journal)
    send.refresh_from_db()

    assert send.status == SyncRun.Status.SUCCEEDED, [r.message for r in SyncRecord.objects.filter(run=send)]
    theirs = {c["id"]: c for c in imp.customers()}
    made = imp.fake.objects(imp.company_id, "invoice")
    assert sorted((i["invoiceNumber"], i["kid"]) for i in made) == [(i.number, i.kid) for i in invoices]
    assert {(theirs[i["customer"]["id"]]["customerNumber"], theirs[i["customer"]["id"]]["name"]) for i in made} == {
        (10001, "Fjordkaffe AS")}
