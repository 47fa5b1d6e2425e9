"""The commerce records and their rules: products and bundles, invoices from draft to issued, payments, orders."""
import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django_scopes import ScopeError, scope, scopes_disabled

from commerce import services
from commerce.kid import is_valid_mod10
from commerce.models import Invoice, LedgerAccount, Payment
from tenants.models import TenantOwned
from tests.factories import CustomerFactory, ProductFactory, SupplierFactory

from .conftest import draft


def test_product_number_is_unique_per_company(world, sales):
    with scope(tenant=world.a):
        with pytest.raises(ValidationError) as exc:
            services.product_save(tenant=world.a, data={"number": "100", "name": "Annen"})
        assert "number" in exc.value.error_dict
    with scope(tenant=world.b):
        assert services.product_save(tenant=world.b, data={"number": "100", "name": "B sin"}).pk


def test_bundle_is_a_product_made_of_other_products_with_quantities(world, sales):
    with scope(tenant=world.a):
        bundle = services.product_save(
            tenant=world.a, data={"number": "900", "name": "Kaffepakke", "sales_price": Decimal("1200")},
            components=[(sales["food"], Decimal("5")), (sales["work"], Decimal("0.5"))],
        )
        assert bundle.is_bundle
        assert sorted((c.component.number, c.quantity) for c in bundle.components.all()) == [
            ("100", Decimal("0.500")), ("200", Decimal("5.000"))]


def test_bundle_cannot_contain_itself_or_another_bundle(world, sales):
    with scope(tenant=world.a):
        bundle = services.product_save(tenant=world.a, data={"number": "900", "name": "Pakke"},
                                       components=[(sales["food"], Decimal("1"))])
        with pytest.raises(ValidationError):
            services.product_save(tenant=world.a, data={}, product=bundle, components=[(bundle, Decimal("1"))])
        with pytest.raises(ValidationError):
            services.product_save(tenant=world.a, data={"number": "901", "name": "Pakke av pakke"},
                                  components=[(bundle, Decimal("1"))])


def test_bundle_cannot_hold_another_companys_product(world, sales):
    with scopes_disabled():
        theirs = ProductFactory(tenant=world.b)
    with scope(tenant=world.a), pytest.raises(ValidationError):
        services.product_save(tenant=world.a, data={"number": "902", "name": "Lånt"},
                              components=[(theirs, Decimal("1"))])


def test_draft_invoice_takes_price_and_vat_code_from_the_product_and_rounds_lines_to_ore(world, sales):
    with scope(tenant=world.a):
        invoice = draft(world.a, sales, lines=[
            {"product": sales["food"], "quantity": Decimal("0.125")},
            {"description": "Frakt", "unit_price": Decimal("99.99"), "quantity": Decimal("1"), "vat_code": "3"},
        ])
        lines = list(invoice.lines.all())
        assert [(ln.description, ln.unit_price, ln.vat_code, ln.amount) for ln in lines] == [
            ("Kaffe 1 kg", Decimal("189.90"), "31", Decimal("23.74")),
            ("Frakt", Decimal("99.99"), "3", Decimal("99.99")),
        ]
        # 23.74 × 15 % = 3.561 → 3.56; 99.99 × 25 % = 24.9975 → 25.00
        assert (invoice.amount_net, invoice.amount_vat, invoice.amount_gross) == (
            Decimal("123.73"), Decimal("28.56"), Decimal("152.29"))
        assert invoice.status == Invoice.Status.DRAFT and invoice.number is None and not invoice.pdf


def test_invoice_without_lines_is_refused(world, sales):
    with scope(tenant=world.a), pytest.raises(ValidationError):
        services.invoice_draft_save(tenant=world.a, data={"customer": sales["customer"],
                                                          "invoice_date": dt.date(2026, 3, 1)}, lines=[])


def test_invoice_for_another_companys_customer_is_refused(world, sales):
    with scopes_disabled():
        theirs = CustomerFactory(tenant=world.b)
    with scope(tenant=world.a), pytest.raises(ValidationError) as exc:
        draft(world.a, sales, customer=theirs)
    assert "customer" in exc.value.error_dict


def test_issue_numbers_invoices_in_sequence_with_kid_due_date_and_pdf(world, sales):
    with scope(tenant=world.a):
        first = services.invoice_issue(tenant=world.a, invoice=draft(world.a, sales), by=world.alice)
        second = services.invoice_issue(tenant=world.a, invoice=draft(world.a, sales), by=world.alice)
    with scopes_disabled():
        theirs = {**sales, "customer": CustomerFactory(tenant=world.b), "project": None,
                  "work": ProductFactory(tenant=world.b), "food": ProductFactory(tenant=world.b)}
    with scope(tenant=world.b):
        other = services.invoice_issue(tenant=world.b, invoice=draft(world.b, theirs), by=world.bob)
    assert (first.number, second.number, other.number) == (1, 2, 1)
    assert first.status == Invoice.Status.ISSUED and first.issued_by == world.alice
    assert first.kid == "0000000018" and is_valid_mod10(second.kid)
    assert first.due_date == dt.date(2026, 3, 31)  # the customer's 30 days
    assert first.pdf.name.endswith("faktura-1.pdf") and first.pdf.read().startswith(b"%PDF")


def test_payment_terms_on_the_invoice_set_the_due_date(world, sales):
    with scope(tenant=world.a):
        terms = services.payment_terms_save(tenant=world.a, data={"name": "10 dager netto", "days": 10})
        invoice = services.invoice_issue(tenant=world.a, invoice=draft(world.a, sales, payment_terms=terms), by=None)
        assert invoice.due_date == dt.date(2026, 3, 11)


def test_issued_invoice_cannot_be_changed_or_issued_again(world, issued, sales):
    with scope(tenant=world.a):
        with pytest.raises(ValidationError):
            services.invoice_draft_save(tenant=world.a, invoice=issued, data={"comment": "endret"},
                                        lines=[{"product": sales["work"], "quantity": Decimal("1")}])
        with pytest.raises(ValidationError):
            services.invoice_issue(tenant=world.a, invoice=issued, by=None)
        issued.refresh_from_db()
        assert issued.comment == "" and issued.lines.count() == 2


def test_invoice_of_zero_or_less_is_not_issued_credit_notes_are_out_of_scope(world, sales):
    with scope(tenant=world.a):
        invoice = draft(world.a, sales, lines=[
            {"description": "Rabatt", "unit_price": Decimal("-100"), "quantity": Decimal("1"), "vat_code": "3"}])
        with pytest.raises(ValidationError):
            services.invoice_issue(tenant=world.a, invoice=invoice, by=None)
        invoice.refresh_from_db()
        assert invoice.is_draft and invoice.number is None


def test_payment_by_kid_finds_its_invoice(world, issued):
    with scope(tenant=world.a):
        payment = services.payment_register(tenant=world.a, kid=issued.kid, date=dt.date(2026, 3, 20),
                                            amount=Decimal("100.00"), by=world.alice)
        assert payment.invoice == issued and payment.source == Payment.Source.KID and payment.kid == issued.kid


def test_payment_with_a_kid_whose_check_digit_is_wrong_is_refused(world, issued):
    with scope(tenant=world.a):
        wrong = issued.kid[:-1] + str((int(issued.kid[-1]) + 1) % 10)
        with pytest.raises(ValidationError) as exc:
            services.payment_register(tenant=world.a, kid=wrong, date=dt.date(2026, 3, 20), amount=Decimal("1"),
                                      by=None)
        assert "kid" in exc.value.error_dict
    with scopes_disabled():  # no company got a payment
        assert not Payment.objects.exists()


def test_payment_by_hand_on_the_invoice(world, issued):
    with scope(tenant=world.a):
        payment = services.payment_register(tenant=world.a, invoice=issued, date=dt.date(2026, 3, 20),
                                            amount=issued.amount_gross, by=world.alice)
        assert payment.source == Payment.Source.MANUAL
        assert services.invoice_outstanding(issued) == Decimal("0.00")


def test_payment_larger_than_what_is_left_is_refused(world, issued):
    with scope(tenant=world.a):
        with pytest.raises(ValidationError) as exc:
            services.payment_register(tenant=world.a, invoice=issued, date=dt.date(2026, 3, 20),
                                      amount=issued.amount_gross + Decimal("0.01"), by=None)
        assert "amount" in exc.value.error_dict


def test_payment_on_a_draft_is_refused(world, sales):
    with scope(tenant=world.a):
        with pytest.raises(ValidationError):
            services.payment_register(tenant=world.a, invoice=draft(world.a, sales), date=dt.date(2026, 3, 20),
                                      amount=Decimal("1"), by=None)


def test_payment_by_kid_of_another_company_is_not_found(world, issued):
    with scope(tenant=world.b), pytest.raises(ValidationError):
        services.payment_register(tenant=world.b, kid=issued.kid, date=dt.date(2026, 3, 20), amount=Decimal("1"),
                                  by=None)


def test_purchase_order_is_numbered_and_summed_from_its_lines(world, sales):
    with scope(tenant=world.a):
        supplier = SupplierFactory(tenant=world.a)
        order = services.purchase_order_create(
            tenant=world.a, supplier=supplier, project=sales["project"], order_date=dt.date(2026, 3, 1),
            lines=[{"product": sales["food"], "quantity": Decimal("10")},
                   {"description": "Kopper", "unit_cost": Decimal("12.50"), "quantity": Decimal("4")}],
        )
        assert order.number == 1 and order.total == Decimal("650.00")  # 10 × 60.00 + 4 × 12.50
        assert services.purchase_order_create(tenant=world.a, supplier=supplier, order_date=dt.date(2026, 3, 2),
                                              lines=[{"description": "X", "unit_cost": Decimal("1"),
                                                      "quantity": Decimal("1")}]).number == 2


def test_ledger_account_map_holds_one_sales_account_per_vat_code(world):
    with scope(tenant=world.a):
        services.ledger_account_save(tenant=world.a, data={"number": "3000", "name": "Salg høy sats", "role": "sales",
                                                           "vat_code": "3", "tripletex_number": "3000"})
        with pytest.raises(ValidationError):
            services.ledger_account_save(tenant=world.a, data={"number": "3001", "name": "Salg igjen", "role": "sales",
                                                               "vat_code": "3"})
        services.ledger_account_save(tenant=world.a, data={"number": "3100", "name": "Salg fritatt", "role": "sales",
                                                           "vat_code": "5"})
        assert LedgerAccount.objects.filter(tenant=world.a).count() == 2


@pytest.mark.parametrize("model", [m for m in apps.get_app_config("commerce").get_models()], ids=lambda m: m.__name__)
def test_every_commerce_record_refuses_a_query_outside_a_company_scope(db, model):
    assert issubclass(model, TenantOwned)
    with scope(), pytest.raises(ScopeError):
        list(model.objects.all())
