"""`python manage.py seed_demo`: the demo company, its people and a month of hours; twice changes nothing."""
from django.core.management import call_command
from django.db.models import Count
from django_scopes import scope, scopes_disabled

from commerce.models import Invoice, LedgerAccount, Payment, Product, PurchaseOrder, Supplier
from hr.models import Employee, Project, TimeEntry
from tenants.models import Membership, Tenant, User


def snapshot():
    with scopes_disabled():
        return _snapshot()


def _snapshot():
    return {
        "tenants": list(Tenant.objects.values_list("slug", "name", "org_number")),
        "users": sorted(User.objects.values_list("email", flat=True)),
        "memberships": sorted(Membership.objects.values_list("user__email", "role")),
        "employees": sorted(Employee.objects.values_list("email", "employee_number")),
        "projects": sorted(Project.objects.values_list("number", "name")),
        "entries": sorted(TimeEntry.objects.values_list("id", "status", "hours", "updated_at")),
        "products": sorted(Product.objects.values_list("number", "updated_at")),
        "suppliers": sorted(Supplier.objects.values_list("supplier_number", "updated_at")),
        "accounts": sorted(LedgerAccount.objects.values_list("number", "tripletex_number")),
        "invoices": sorted(Invoice.objects.values_list("id", "number", "status", "pdf", "updated_at")),
        "payments": sorted(Payment.objects.values_list("id", "amount")),
        "purchase_orders": sorted(PurchaseOrder.objects.values_list("id", "number")),
    }


def test_seed_demo_makes_demo_as_with_login_and_hours_in_every_status(db):
    call_command("seed_demo")
    demo = Tenant.objects.get(slug="demo")
    assert demo.name == "Demo AS"
    admin = User.objects.get(email="admin@demo.no")
    assert admin.check_password("demo1234")
    assert Membership.objects.get(user=admin, tenant=demo).role == "admin"
    assert Membership.objects.filter(tenant=demo, role="manager").count() == 1
    with scope(tenant=demo):
        assert Employee.objects.filter(tenant=demo, user__memberships__role="employee").count() == 5
        statuses = dict(TimeEntry.objects.filter(tenant=demo).values_list("status").annotate(n=Count("id")))
    assert set(statuses) == {"draft", "submitted", "approved", "rejected"}


def test_seed_demo_twice_changes_nothing(db):
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first


def test_seed_demo_makes_products_suppliers_issued_invoices_with_pdfs_payments_and_a_purchase_order(db):
    call_command("seed_demo")
    demo = Tenant.objects.get(slug="demo")
    with scope(tenant=demo):
        assert Product.objects.filter(tenant=demo).count() >= 5
        assert Product.objects.filter(tenant=demo, components__isnull=False).exists()
        assert Supplier.objects.filter(tenant=demo).count() == 2
        issued = Invoice.objects.filter(tenant=demo, status=Invoice.Status.ISSUED)
        assert [i.number for i in issued.order_by("number")] == [1, 2, 3]
        assert all(i.pdf and i.pdf.read().startswith(b"%PDF") for i in issued)
        assert Invoice.objects.filter(tenant=demo, status=Invoice.Status.DRAFT).count() == 1
        assert sorted(Payment.objects.filter(tenant=demo).values_list("source", flat=True)) == ["kid", "manual"]
        assert PurchaseOrder.objects.filter(tenant=demo).count() == 1
        assert LedgerAccount.objects.filter(tenant=demo, role="receivable").exclude(tripletex_number="").exists()
