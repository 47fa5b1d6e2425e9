"""Companies (tenants), their users and what each user may do in each company."""
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from django_scopes.manager import DisabledQuerySet

from .validators import validate_org_number


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **extra):
        if not email:
            raise ValueError("E-mail is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person who logs in with e-mail and password; may belong to several companies."""

    username = None
    email = models.EmailField(_("e-post"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def __str__(self):
        return self.get_full_name() or self.email


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Tenant(TimeStamped):
    """One company using the product."""

    name = models.CharField(_("navn"), max_length=200)
    org_number = models.CharField(
        _("organisasjonsnummer"), max_length=9, unique=True, validators=[validate_org_number],
        error_messages={"unique": _("Et selskap med dette organisasjonsnummeret finnes allerede.")},
    )
    slug = models.SlugField(unique=True)
    # Hours on or before this date are closed (e.g. after payroll) and cannot be entered or changed.
    hours_locked_until = models.DateField(_("timer låst til og med"), null=True, blank=True)

    class Meta:
        verbose_name = _("selskap")
        verbose_name_plural = _("selskaper")

    def __str__(self):
        return self.name


class Membership(TimeStamped):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        MANAGER = "manager", _("Leder")
        EMPLOYEE = "employee", _("Ansatt")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rolle"), max_length=20, choices=Role.choices, default=Role.EMPLOYEE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tenant"], name="membership_unique")]
        verbose_name = _("medlemskap")
        verbose_name_plural = _("medlemskap")

    def __str__(self):
        return f"{self.user} @ {self.tenant} ({self.role})"

    @property
    def can_approve(self) -> bool:
        return self.role in (self.Role.ADMIN, self.Role.MANAGER)

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class _OutsideAnyScope(DisabledQuerySet):
    """django-scopes refuses most queries outside a scope but answers these few, for every company at once."""

    exists = contains = in_bulk = explain = DisabledQuerySet.error


def tenant_scoped_manager(manager_class=models.Manager) -> models.Manager:
    """django-scopes' manager for one company's rows, with the reads it leaves open outside a scope refused too:
    an `exists()` that forgot its company would otherwise answer from another company's rows."""
    scoped = type(ScopedManager(tenant="tenant", _manager_class=manager_class))

    class TenantScopedManager(scoped):
        def get_queryset(self):
            queryset = super().get_queryset()
            if type(queryset) is DisabledQuerySet:
                queryset.__class__ = _OutsideAnyScope
            return queryset

    return TenantScopedManager()


class TenantOwned(TimeStamped):
    """Base for every row that belongs to one company.

    `objects` is django-scopes' manager: a query outside `scope(tenant=…)` raises ScopeError
    instead of returning every company's rows.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    objects = tenant_scoped_manager()

    class Meta:
        abstract = True
