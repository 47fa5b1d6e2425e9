"""A company's connection to Tripletex, the links between our rows and Tripletex's, and sync logs."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import TenantOwned

from .crypto import EncryptedTextField


class Connection(TenantOwned):
    """One per company. Only an ACTIVE connection moves anything to or from Tripletex."""

    class State(models.TextChoices):
        NEW = "new", _("Ikke koblet til")
        ACTIVE = "active", _("Aktiv")
        REMOVED = "removed", _("Fjernet")

    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW)
    employee_token = EncryptedTextField(blank=True)
    tripletex_company_id = models.BigIntegerField(null=True, blank=True)
    tripletex_company_name = models.CharField(max_length=200, blank=True)
    tripletex_employee_name = models.CharField(max_length=200, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="connection_one_per_tenant")]
        verbose_name = _("Tripletex-tilkobling")
        verbose_name_plural = _("Tripletex-tilkoblinger")

    def __str__(self):
        return f"{self.tenant} → Tripletex ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE


class Link(TenantOwned):
    """Our row ↔ Tripletex's object, per Tripletex company so a reconnect to another company never mixes."""

    class Kind(models.TextChoices):
        EMPLOYEE = "employee", _("Ansatt")
        PROJECT = "project", _("Prosjekt")
        WAGE_TYPE = "wage_type", _("Lønnsart")
        ACTIVITY = "activity", _("Aktivitet")
        CUSTOMER = "customer", _("Kunde")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    local_id = models.BigIntegerField()
    tripletex_company_id = models.BigIntegerField()
    tripletex_id = models.BigIntegerField()
    tripletex_version = models.IntegerField(null=True, blank=True)
    # Set when the object was not found in Tripletex on the last wizard run.
    missing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "tripletex_company_id", "kind", "local_id"], name="link_local_unique"),
            models.UniqueConstraint(
                fields=["tenant", "tripletex_company_id", "kind", "tripletex_id"], name="link_remote_unique"
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.local_id} ↔ {self.tripletex_id}"


class SyncRun(TenantOwned):
    """One piece of work against Tripletex (an activation, a refresh, an hour transfer …)."""

    class Kind(models.TextChoices):
        ACTIVATION = "activation", _("Aktivering")
        REFRESH = "refresh", _("Oppdatering")
        HOURS = "hours", _("Timeoverføring")
        HOURS_EXPORT = "hours_export", _("Eksport av timer")

    class Status(models.TextChoices):
        RUNNING = "running", _("Pågår")
        SUCCEEDED = "succeeded", _("Fullført")
        PARTIAL = "partial", _("Fullført med feil")
        FAILED = "failed", _("Feilet")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class SyncRecord(TenantOwned):
    """What happened to one record in a run, and why: the log an admin reads."""

    class Action(models.TextChoices):
        CREATED = "created", _("Opprettet")
        UPDATED = "updated", _("Oppdatert")
        LINKED = "linked", _("Koblet")
        SKIPPED = "skipped", _("Hoppet over")
        FAILED = "failed", _("Feilet")
        DELETED = "deleted", _("Slettet")

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="records")
    object_kind = models.CharField(max_length=20)
    local_id = models.BigIntegerField(null=True, blank=True)
    tripletex_id = models.BigIntegerField(null=True, blank=True)
    label = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    rule = models.CharField(max_length=300, blank=True)
    message = models.TextField(blank=True)
    request_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["id"]


class ConnectionEvent(TenantOwned):
    """The history an admin sees: who connected, refreshed or removed Tripletex, and when."""

    class Action(models.TextChoices):
        CONNECTED = "connected", _("Koblet til")
        REFRESHED = "refreshed", _("Oppdatert")
        TOKEN_REPLACED = "token_replaced", _("Ny API-nøkkel")
        REMOVED = "removed", _("Integrasjon fjernet")

    action = models.CharField(max_length=20, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    tripletex_company_id = models.BigIntegerField(null=True, blank=True)
    tripletex_company_name = models.CharField(max_length=200, blank=True)
    run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-created_at", "-id"]
