"""The commerce pages: managers and admins list, create and look at each record; nobody else does."""
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from commerce.models import Invoice, Payment, Product, PurchaseOrder, Supplier
from tenants.models import Membership
from tests.factories import MembershipFactory, SupplierFactory, UserFactory

LISTS = ["invoices", "payments", "products", "suppliers", "payment_terms", "purchase_orders", "ledger_accounts"]


@pytest.fixture
def alice(world):
    return world.client_for(world.alice, world.a)


@pytest.fixture
def manager(world):
    user = UserFactory(email="leder@alfa.no")
    MembershipFactory(user=user, tenant=world.a, role=Membership.Role.MANAGER)
    return world.client_for(user, world.a)


@pytest.mark.parametrize("name", LISTS)
def test_manager_sees_every_commerce_list(manager, sales, name):
    response = manager.get(reverse(f"commerce:{name}"))
    assert response.status_code == 200


@pytest.mark.parametrize("name", LISTS)
def test_employee_is_refused_the_commerce_pages(world, name):
    carol = world.client_for(world.carol, world.a)
    assert carol.get(reverse(f"commerce:{name}")).status_code == 403


def test_menu_lists_the_commerce_pages_for_managers_only(world, manager):
    page = manager.get(reverse("hr:timesheet")).content.decode()
    assert reverse("commerce:invoices") in page and reverse("commerce:ledger_accounts") in page
    page = world.client_for(world.carol, world.a).get(reverse("hr:timesheet")).content.decode()
    assert reverse("commerce:invoices") not in page


def _invoice_post(sales, **extra):
    data = {
        "customer": sales["customer"].id, "invoice_date": "2026-03-01", "currency": "NOK",
        "project": sales["project"].id,
        "lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0",
        "lines-0-product": sales["work"].id, "lines-0-quantity": "2",
        "lines-1-description": "Frakt", "lines-1-quantity": "1", "lines-1-unit_price": "150", "lines-1-vat_code": "3",
    }
    data.update(extra)
    return data


def test_invoice_is_created_as_a_draft_then_issued_and_its_pdf_downloaded(alice, world, sales):
    response = alice.post(reverse("commerce:invoice_create"), _invoice_post(sales))
    with scope(tenant=world.a):
        invoice = Invoice.objects.get(tenant=world.a)
    assert response.status_code == 302 and response.url == reverse("commerce:invoice_detail", args=[invoice.id])
    assert invoice.is_draft and invoice.amount_gross == Decimal("2562.50")  # (1900 + 150) × 1.25
    page = alice.get(response.url).content.decode()
    assert "Utsted faktura" in page and "Last ned PDF" not in page

    alice.post(reverse("commerce:invoice_issue", args=[invoice.id]))
    invoice.refresh_from_db()
    assert invoice.number == 1 and invoice.kid
    page = alice.get(reverse("commerce:invoice_detail", args=[invoice.id])).content.decode()
    assert invoice.kid in page and "Last ned PDF" in page and "Utsted faktura" not in page

    pdf = alice.get(reverse("commerce:invoice_pdf", args=[invoice.id]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert "faktura-1.pdf" in pdf["Content-Disposition"]


def test_invoice_form_with_bad_lines_shows_messages_and_stores_nothing(alice, world, sales):
    response = alice.post(reverse("commerce:invoice_create"), _invoice_post(
        sales, **{"lines-0-product": "", "lines-0-quantity": "abc", "lines-1-unit_price": ""}))
    assert response.status_code == 200
    assert "Oppgi pris eller velg en vare." in response.content.decode()
    with scope(tenant=world.a):
        assert not Invoice.objects.filter(tenant=world.a).exists()


def test_invoice_form_without_lines_says_so(alice, world, sales):
    data = _invoice_post(sales)
    for key in [k for k in data if k.startswith("lines-") and k[6].isdigit()]:
        del data[key]
    response = alice.post(reverse("commerce:invoice_create"), data)
    assert response.status_code == 200 and "minst én linje" in response.content.decode()


def test_issued_invoice_cannot_be_edited_from_its_page(alice, world, issued, sales):
    response = alice.post(reverse("commerce:invoice_edit", args=[issued.id]), _invoice_post(sales))
    assert response.status_code == 302
    issued.refresh_from_db()
    assert issued.amount_gross != Decimal("2562.50")


def test_pdf_of_a_draft_is_not_found(alice, world, sales):
    from .conftest import draft

    with scope(tenant=world.a):
        invoice = draft(world.a, sales)
    assert alice.get(reverse("commerce:invoice_pdf", args=[invoice.id])).status_code == 404


def test_employee_cannot_download_an_invoice_pdf(world, issued):
    carol = world.client_for(world.carol, world.a)
    assert carol.get(reverse("commerce:invoice_pdf", args=[issued.id])).status_code == 403


def test_payment_by_kid_from_the_page(alice, world, issued):
    response = alice.post(reverse("commerce:payment_create"), {
        "kid": issued.kid, "date": "2026-03-20", "amount": "500.00"})
    assert response.status_code == 302
    with scope(tenant=world.a):
        payment = Payment.objects.get(tenant=world.a)
        assert payment.invoice == issued and payment.source == "kid"


def test_payment_with_a_wrong_kid_is_a_form_error(alice, world, issued):
    response = alice.post(reverse("commerce:payment_create"), {"kid": "1234567890", "date": "2026-03-20",
                                                              "amount": "500.00"})
    assert response.status_code == 200 and "KID" in response.content.decode()
    with scopes_disabled():  # no company got a payment
        assert not Payment.objects.exists()


def test_payment_by_hand_from_the_invoice_page_is_prefilled_with_what_is_left(alice, world, issued):
    page = alice.get(reverse("commerce:payment_create") + f"?faktura={issued.id}").content.decode()
    assert f'value="{issued.amount_gross}"' in page
    alice.post(reverse("commerce:payment_create"), {"invoice": issued.id, "date": "2026-03-20",
                                                    "amount": str(issued.amount_gross)})
    page = alice.get(reverse("commerce:invoices") + "?status=unpaid").content.decode()
    assert reverse("commerce:invoice_detail", args=[issued.id]) not in page


def test_product_with_bundle_lines_is_saved_from_its_page(alice, world, sales):
    response = alice.post(reverse("commerce:product_create"), {
        "number": "900", "name": "Kaffepakke", "unit": "stk", "sales_price": "1200", "cost_price": "800",
        "vat_code": "31", "active": "on",
        "parts-TOTAL_FORMS": "3", "parts-INITIAL_FORMS": "0",
        "parts-0-product": sales["food"].id, "parts-0-quantity": "5",
    })
    assert response.status_code == 302
    with scope(tenant=world.a):
        bundle = Product.objects.get(tenant=world.a, number="900")
        assert [(c.component, c.quantity) for c in bundle.components.all()] == [(sales["food"], Decimal("5.000"))]


def test_product_with_a_taken_number_is_a_form_error(alice, world, sales):
    response = alice.post(reverse("commerce:product_create"), {
        "number": "100", "name": "Dobbel", "unit": "stk", "sales_price": "1", "cost_price": "1", "vat_code": "3",
        "parts-TOTAL_FORMS": "0", "parts-INITIAL_FORMS": "0"})
    assert response.status_code == 200 and "Varenummeret er allerede i bruk." in response.content.decode()


def test_supplier_payment_terms_and_account_are_created_from_their_pages(alice, world):
    alice.post(reverse("commerce:supplier_create"), {"supplier_number": "5001", "name": "Kaffebrenneriet AS"})
    alice.post(reverse("commerce:payment_terms_create"), {"name": "14 dager", "days": "14"})
    alice.post(reverse("commerce:ledger_account_create"), {"number": "3000", "name": "Salg", "role": "sales",
                                                            "vat_code": "3", "tripletex_number": "3000"})
    with scope(tenant=world.a):
        assert Supplier.objects.filter(tenant=world.a, name="Kaffebrenneriet AS").exists()
    page = alice.get(reverse("commerce:ledger_accounts")).content.decode()
    assert "Salg" in page and "14 dager" in alice.get(reverse("commerce:payment_terms")).content.decode()


def test_purchase_order_is_created_and_shown(alice, world, sales):
    with scope(tenant=world.a):
        supplier = SupplierFactory(tenant=world.a)
    response = alice.post(reverse("commerce:purchase_order_create"), {
        "supplier": supplier.id, "order_date": "2026-03-01", "project": sales["project"].id,
        "lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0",
        "lines-0-product": sales["food"].id, "lines-0-quantity": "10",
    })
    with scope(tenant=world.a):
        order = PurchaseOrder.objects.get(tenant=world.a)
    assert response.status_code == 302
    page = alice.get(reverse("commerce:purchase_order_detail", args=[order.id])).content.decode()
    assert supplier.name in page and "600,00" in page


def test_invoice_list_searches_by_customer_and_kid(alice, world, issued):
    assert reverse("commerce:invoice_detail", args=[issued.id]) in alice.get(
        reverse("commerce:invoices"), {"q": issued.kid}).content.decode()
    assert reverse("commerce:invoice_detail", args=[issued.id]) not in alice.get(
        reverse("commerce:invoices"), {"q": "finnesikke"}).content.decode()


def test_invoice_list_costs_the_same_queries_for_many_invoices(alice, world, sales, django_assert_max_num_queries):
    from commerce import services

    from .conftest import draft

    with scope(tenant=world.a):
        for _ in range(12):
            services.invoice_issue(tenant=world.a, invoice=draft(world.a, sales), by=None)
    with django_assert_max_num_queries(12):
        alice.get(reverse("commerce:invoices"))

