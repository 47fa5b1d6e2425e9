"""Creates the demo company "Demo AS" with people and a month of hours. Running it again changes nothing."""
import datetime as dt
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from commerce import services as commerce_services
from commerce.models import Invoice, LedgerAccount, PaymentTerms, Product, PurchaseOrder, Supplier
from hr import services as hr_services
from hr.models import Activity, Customer, Employee, Project, TimeEntry, WageType
from tenants.models import Membership, Tenant
from tenants.services import membership_grant, user_ensure

DEMO_PASSWORD = "demo1234"
ADMIN_EMAIL = "admin@demo.no"

PEOPLE = [
    # e-mail, first name, last name, employee number, role
    ("admin@demo.no", "Ingrid", "Solberg", "1000", Membership.Role.ADMIN),
    ("leder@demo.no", "Ola", "Nordmann", "1001", Membership.Role.MANAGER),
    ("kari@demo.no", "Kari", "Hansen", "1002", Membership.Role.EMPLOYEE),
    ("per@demo.no", "Per", "Johansen", "1003", Membership.Role.EMPLOYEE),
    ("nora@demo.no", "Nora", "Berg", "1004", Membership.Role.EMPLOYEE),
    ("emil@demo.no", "Emil", "Larsen", "1005", Membership.Role.EMPLOYEE),
    ("sara@demo.no", "Sara", "Eriksen", "1006", Membership.Role.EMPLOYEE),
]
# The same projects as the fake Tripletex's Demo AS (1001 alike, 1002 with another start date), and
# one internal project that exists only here, so the wizard shows "uendret", "oppdateres" and "opprettes".
PROJECTS = [
    ("1001", "Rehabilitering Storgata 12", dt.date(2023, 1, 1)), ("1002", "Nybygg Bryggen", dt.date(2026, 1, 1)),
    ("9000", "Intern tid", dt.date(2026, 1, 1)),
]
# The same customer, with the same fields, as the fake Tripletex's Demo AS has as its customer 10001: the demo's
# invoices find it there, and the customer import finds it unchanged.
CUSTOMER = {"name": "Fjordkaffe AS", "org_number": "987654309", "email": "post@fjordkaffe.no", "phone": "55301000",
            "address": "Bryggen 1", "postal_code": "5003", "city": "Bergen", "country": "NO",
            "website": "www.fjordkaffe.no", "payment_terms_days": 30}
ACTIVITIES = [("10", "Utvikling", Decimal("1150")), ("20", "Prosjektledelse", Decimal("1350")), ("30", "Administrasjon", None)]
WAGE_TYPES = [("2002", "Overtid 50 %"), ("2005", "Overtid 100 %")]
# number, name, unit, sales price, cost price, VAT code
PRODUCTS = [
    ("100", "Timeverk utvikler", "time", "1150.00", "0.00", "3"),
    ("110", "Timeverk prosjektleder", "time", "1350.00", "0.00", "3"),
    ("200", "Kaffemaskin Barista Pro", "stk", "14990.00", "9800.00", "3"),
    ("210", "Kaffebønner 1 kg", "kg", "289.00", "160.00", "31"),
    ("300", "Kurs i latte art", "stk", "2500.00", "0.00", "5"),
]
SUPPLIERS = [("50001", "Kaffebrenneriet AS", "Bergen"), ("50002", "Maskinhuset Nord AS", "Tromsø")]
# Our chart and where each account is posted in Tripletex; 12 % sales have no Tripletex account yet.
ACCOUNTS = [
    ("1500", "Kundefordringer", "receivable", "", "1500"), ("1920", "Bankinnskudd", "bank", "", "1920"),
    ("3000", "Salgsinntekt, høy sats", "sales", "3", "3000"),
    ("3010", "Salgsinntekt, næringsmidler", "sales", "31", "3000"),
    ("3020", "Salgsinntekt, lav sats", "sales", "33", ""), ("3100", "Salgsinntekt, avgiftsfri", "sales", "5", "3100"),
    ("4000", "Varekjøp", "purchases", "", "4000"),
]


class Command(BaseCommand):
    help = "Create the demo company Demo AS (idempotent)."

    @scopes_disabled()
    def handle(self, *args, **options):
        with transaction.atomic():
            tenant, _ = Tenant.objects.get_or_create(slug="demo", defaults={"name": "Demo AS", "org_number": "923609016"})
            employees = []
            for email, first, last, number, role in PEOPLE:
                user = user_ensure(email=email, password=DEMO_PASSWORD, first_name=first, last_name=last)
                if not Membership.objects.filter(tenant=tenant, user=user).exists():
                    membership_grant(tenant=tenant, user=user, role=role)
                employee, _ = Employee.objects.get_or_create(
                    tenant=tenant, user=user,
                    defaults={"first_name": first, "last_name": last, "email": email, "employee_number": number},
                )
                employees.append(employee)
            customer, _ = Customer.objects.get_or_create(tenant=tenant, customer_number="10001", defaults=CUSTOMER)
            projects = [
                Project.objects.get_or_create(
                    tenant=tenant, number=number,
                    defaults={"name": name, "start_date": start, "is_internal": number == "9000",
                              "customer": None if number == "9000" else customer},
                )[0]
                for number, name, start in PROJECTS
            ]
            activities = [
                Activity.objects.get_or_create(tenant=tenant, number=n, defaults={"name": name, "hourly_rate": rate})[0]
                for n, name, rate in ACTIVITIES
            ]
            for n, name in WAGE_TYPES:
                WageType.objects.get_or_create(tenant=tenant, number=n, defaults={"name": name})
            if not TimeEntry.objects.filter(tenant=tenant).exists():
                self._hours(tenant, employees[2:], projects, activities)
            self._commerce(tenant, customer, projects, employees[0].user)
        self.stdout.write(f"Demo AS ready: log in as {ADMIN_EMAIL} / {DEMO_PASSWORD}")

    def _hours(self, tenant, employees, projects, activities):
        """Four past weeks and this one: old weeks approved, last week submitted (one person rejected), this week draft."""
        admin = Employee.objects.get(tenant=tenant, email=ADMIN_EMAIL).user
        this_monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
        for weeks_back in range(4, -1, -1):
            monday = this_monday - dt.timedelta(weeks=weeks_back)
            for i, employee in enumerate(employees):
                for day in range(5):
                    date = monday + dt.timedelta(days=day)
                    project = projects[(i + day) % 2]
                    hr_services.time_entry_save(
                        tenant=tenant, employee=employee, date=date, project=project, activity=activities[i % 2],
                        hours=Decimal("7.5"), comment="",
                    )
                    if day == 4:
                        hr_services.time_entry_save(
                            tenant=tenant, employee=employee, date=date, project=projects[2], activity=activities[2],
                            hours=Decimal("0.5"), comment="Internmøte",
                        )
                if weeks_back >= 1:
                    hr_services.time_entries_submit(
                        tenant=tenant, employee=employee, date_from=monday, date_to=monday + dt.timedelta(days=6)
                    )
            week = TimeEntry.objects.filter(tenant=tenant, date__gte=monday, date__lt=monday + dt.timedelta(days=7))
            if weeks_back >= 2:
                hr_services.time_entries_approve(tenant=tenant, entries=week, by=admin)
            elif weeks_back == 1:
                hr_services.time_entries_reject(tenant=tenant, entries=week.filter(employee=employees[-1]), by=admin)

    def _commerce(self, tenant, customer, projects, admin):
        """Products, suppliers, the chart of accounts; three issued invoices with PDFs, two payments, one draft
        and a purchase order, dated in the last weeks so they are fresh whenever the demo is made."""
        products = {}
        for number, name, unit, price, cost, vat in PRODUCTS:
            products[number] = Product.objects.filter(tenant=tenant, number=number).first() or (
                commerce_services.product_save(tenant=tenant, data={
                    "number": number, "name": name, "unit": unit, "sales_price": Decimal(price),
                    "cost_price": Decimal(cost), "vat_code": vat,
                })
            )
        products["400"] = Product.objects.filter(tenant=tenant, number="400").first() or commerce_services.product_save(
            tenant=tenant, data={"number": "400", "name": "Kaffepakke for kontoret", "sales_price": Decimal("16500"),
                                 "cost_price": Decimal("10600"), "vat_code": "3"},
            components=[(products["200"], Decimal("1")), (products["210"], Decimal("5"))],
        )
        suppliers = [
            Supplier.objects.filter(tenant=tenant, supplier_number=number).first()
            or commerce_services.supplier_save(tenant=tenant, data={"supplier_number": number, "name": name,
                                                                    "city": city})
            for number, name, city in SUPPLIERS
        ]
        for days, name in ((14, "14 dager netto"), (30, "30 dager netto")):
            if not PaymentTerms.objects.filter(tenant=tenant, days=days).exists():
                commerce_services.payment_terms_save(tenant=tenant, data={"name": name, "days": days})
        for number, name, role, vat, tripletex in ACCOUNTS:
            if not LedgerAccount.objects.filter(tenant=tenant, number=number).exists():
                commerce_services.ledger_account_save(tenant=tenant, data={
                    "number": number, "name": name, "role": role, "vat_code": vat, "tripletex_number": tripletex})
        if Invoice.objects.filter(tenant=tenant).exists():
            return
        today = timezone.localdate()
        sales = [
            (21, projects[0], [("100", "37.5"), ("110", "6")]),
            (14, projects[1], [("200", "1"), ("210", "10"), ("300", "2")]),
            (7, projects[0], [("100", "15"), ("210", "4")]),
        ]
        issued = []
        for days_ago, project, lines in sales:
            invoice = commerce_services.invoice_draft_save(tenant=tenant, data={
                "customer": customer, "project": project, "invoice_date": today - dt.timedelta(days=days_ago),
                "order_number": f"O-{1000 + days_ago}", "delivery_date": today - dt.timedelta(days=days_ago + 1),
            }, lines=[{"product": products[n], "quantity": Decimal(q)} for n, q in lines])
            issued.append(commerce_services.invoice_issue(tenant=tenant, invoice=invoice, by=admin))
        commerce_services.payment_register(tenant=tenant, kid=issued[0].kid, date=today - dt.timedelta(days=3),
                                           amount=issued[0].amount_gross, by=admin)
        commerce_services.payment_register(tenant=tenant, invoice=issued[1], date=today - dt.timedelta(days=1),
                                           amount=Decimal("5000.00"), by=admin)
        commerce_services.invoice_draft_save(tenant=tenant, data={
            "customer": customer, "project": projects[1], "invoice_date": today,
        }, lines=[{"product": products["400"], "quantity": Decimal("1")}])
        if not PurchaseOrder.objects.filter(tenant=tenant).exists():
            commerce_services.purchase_order_create(
                tenant=tenant, supplier=suppliers[0], project=projects[1], order_date=today - dt.timedelta(days=10),
                delivery_date=today + dt.timedelta(days=4),
                lines=[{"product": products["210"], "quantity": Decimal("50")}],
            )
