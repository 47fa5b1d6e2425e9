"""The HR side of a company: people, projects, customers, wage types, activities and hours."""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import TenantOwned


class Employee(TenantOwned):
    first_name = models.CharField(_("fornavn"), max_length=100)
    last_name = models.CharField(_("etternavn"), max_length=100, blank=True)
    email = models.EmailField(_("e-post"), blank=True)
    employee_number = models.CharField(_("ansattnummer"), max_length=50, blank=True)
    active = models.BooleanField(_("aktiv"), default=True)
    # The login that enters hours as this employee, if any.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="employees"
    )

    class Meta:
        ordering = ["first_name", "last_name"]
        verbose_name = _("ansatt")
        verbose_name_plural = _("ansatte")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "employee_number"], condition=~models.Q(employee_number=""),
                name="employee_number_unique_per_tenant",
            ),
            models.UniqueConstraint(fields=["tenant", "user"], name="employee_user_unique_per_tenant"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip()


class Customer(TenantOwned):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Aktiv")
        INACTIVE = "inactive", _("Inaktiv")
        DELETED = "deleted", _("Slettet")

    customer_number = models.CharField(_("kundenummer"), max_length=50, blank=True)
    name = models.CharField(_("navn"), max_length=200)
    org_number = models.CharField(_("organisasjonsnummer"), max_length=20, blank=True)
    email = models.EmailField(_("e-post"), blank=True)
    phone = models.CharField(_("telefon"), max_length=50, blank=True)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("postnummer"), max_length=10, blank=True)
    city = models.CharField(_("poststed"), max_length=100, blank=True)
    # ISO 3166 alpha-2, as Tripletex's postal address gives it (seed 002: "land" of the invoice address).
    country = models.CharField(_("land"), max_length=2, blank=True)
    website = models.CharField(_("nettsted"), max_length=200, blank=True)
    currency = models.CharField(_("valuta"), max_length=3, default="NOK")
    payment_terms_days = models.PositiveIntegerField(_("betalingsfrist (dager)"), default=14)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["name"]
        verbose_name = _("kunde")
        verbose_name_plural = _("kunder")

    def __str__(self):
        return self.name


class Project(TenantOwned):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Aktiv")
        COMPLETED = "completed", _("Fullført")
        DELETED = "deleted", _("Slettet")

    number = models.CharField(_("prosjektnummer"), max_length=50, blank=True)
    name = models.CharField(_("navn"), max_length=200)
    start_date = models.DateField(_("startdato"), null=True, blank=True)
    end_date = models.DateField(_("sluttdato"), null=True, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="subprojects",
        verbose_name=_("hovedprosjekt"),
    )
    is_internal = models.BooleanField(_("internt"), default=False)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("kunde"))
    # Tripletex requires a project manager on every project it is sent.
    project_manager = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_projects",
        verbose_name=_("prosjektleder"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["number", "name"]
        verbose_name = _("prosjekt")
        verbose_name_plural = _("prosjekter")

    def __str__(self):
        return f"{self.number} {self.name}".strip()


class WageType(TenantOwned):
    number = models.CharField(_("nummer"), max_length=20)
    name = models.CharField(_("navn"), max_length=200)
    active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("lønnsart")
        verbose_name_plural = _("lønnsarter")

    def __str__(self):
        return f"{self.number} {self.name}"


class Activity(TenantOwned):
    number = models.CharField(_("nummer"), max_length=20, blank=True)
    name = models.CharField(_("navn"), max_length=200)
    hourly_rate = models.DecimalField(_("timesats"), max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("aktivitet")
        verbose_name_plural = _("aktiviteter")

    def __str__(self):
        return self.name


class TimeEntry(TenantOwned):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Utkast")
        SUBMITTED = "submitted", _("Levert")
        APPROVED = "approved", _("Godkjent")
        REJECTED = "rejected", _("Avvist")

    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="time_entries", verbose_name=_("ansatt"))
    date = models.DateField(_("dato"))
    hours = models.DecimalField(
        _("timer"), max_digits=4, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("24"))],
    )
    project = models.ForeignKey(Project, on_delete=models.PROTECT, verbose_name=_("prosjekt"))
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, verbose_name=_("aktivitet"))
    wage_type = models.ForeignKey(WageType, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("lønnsart"))
    comment = models.CharField(_("kommentar"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("timeføring")
        verbose_name_plural = _("timeføringer")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0) & models.Q(hours__lte=24), name="time_entry_hours_range"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status", "date"])]

    # Hours are the employee's to change only until submitted; rejected ones come back to them.
    EDITABLE = (Status.DRAFT, Status.REJECTED)

    def __str__(self):
        return f"{self.employee} {self.date} {self.hours}"
