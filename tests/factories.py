"""factory_boy factories, one per model. Tenant-owned factories take `tenant=`."""
import datetime as dt
from decimal import Decimal

import factory

from hr.models import Activity, Customer, Employee, Project, TimeEntry, WageType
from tenants.models import Membership, Tenant, User
from tenants.validators import is_valid_org_number


def _org_numbers():
    n = 900000000
    while True:
        n += 1
        if is_valid_org_number(str(n)):
            yield str(n)


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Selskap {n} AS")
    org_number = factory.Iterator(_org_numbers())
    slug = factory.Sequence(lambda n: f"selskap-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.no")
    first_name = "Test"
    password = factory.PostGenerationMethodCall("set_password", "pw-12345678")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    tenant = factory.SubFactory(TenantFactory)
    role = Membership.Role.EMPLOYEE


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    first_name = factory.Sequence(lambda n: f"Ansatt{n}")
    last_name = "Testesen"
    employee_number = factory.Sequence(lambda n: str(100 + n))


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    customer_number = factory.Sequence(lambda n: str(20000 + n))
    name = factory.Sequence(lambda n: f"Kunde {n} AS")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    number = factory.Sequence(lambda n: str(3000 + n))
    name = factory.Sequence(lambda n: f"Prosjekt {n}")
    start_date = dt.date(2026, 1, 1)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    number = factory.Sequence(lambda n: str(n))
    name = factory.Sequence(lambda n: f"Aktivitet {n}")
    hourly_rate = Decimal("1000")


class WageTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WageType

    number = factory.Sequence(lambda n: str(2000 + n))
    name = factory.Sequence(lambda n: f"Lønnsart {n}")


class TimeEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeEntry

    date = dt.date(2026, 11, 16)
    hours = Decimal("7.50")
    status = TimeEntry.Status.SUBMITTED
    employee = factory.LazyAttribute(lambda o: EmployeeFactory(tenant=o.tenant))
    project = factory.LazyAttribute(lambda o: ProjectFactory(tenant=o.tenant))
    activity = factory.LazyAttribute(lambda o: ActivityFactory(tenant=o.tenant))


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "commerce.Product"

    number = factory.Sequence(lambda n: str(500 + n))
    name = factory.Sequence(lambda n: f"Vare {n}")
    sales_price = Decimal("100.00")
    cost_price = Decimal("60.00")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "commerce.Supplier"

    supplier_number = factory.Sequence(lambda n: str(40000 + n))
    name = factory.Sequence(lambda n: f"Leverandør {n} AS")
