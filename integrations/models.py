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


class HourSlot(TenantOwned):
    """One object in Tripletex that approved hours are summed into.

    Tripletex allows one timesheet entry per employee, date, activity and project, and one wage-type
    count per employee, date and wage type; our entries are finer than that, so each slot holds the
    sum of every approved entry with its key. Keys are our own ids (0 where a part does not apply),
    so a slot exists before the company is connected; the Tripletex side is valid only for
    `tripletex_company_id`.
    """

    class Kind(models.TextChoices):
        ENTRY = "entry", _("Timeføring")
        WAGE = "wage", _("Timer per lønnsart")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    employee_id = models.BigIntegerField()
    date = models.DateField()
    project_id = models.BigIntegerField(default=0)
    activity_id = models.BigIntegerField(default=0)
    wage_type_id = models.BigIntegerField(default=0)
    tripletex_company_id = models.BigIntegerField(null=True, blank=True)
    tripletex_id = models.BigIntegerField(null=True, blank=True)
    tripletex_version = models.IntegerField(null=True, blank=True)
    # What Tripletex holds, as last written or read back: a write is skipped when nothing differs.
    hours = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    comment = models.CharField(max_length=500, blank=True)
    # Set before every create is sent and cleared when its answer is stored: a slot left in doubt
    # (timeout, dropped connection, killed worker) is looked up in Tripletex before it is sent again.
    in_doubt = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "employee_id", "date", "project_id", "activity_id", "wage_type_id"],
                name="hour_slot_key_unique",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.employee_id} {self.date} → {self.tripletex_id}"


class HourTransfer(TenantOwned):
    """The outbox: what one approved (or since unapproved) time entry asks of Tripletex.

    Written in the approving transaction; a worker claims rows with a conditional update
    (PENDING → SENDING) and proceeds only with the rows it got.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Venter")
        SENDING = "sending", _("Sendes")
        SENT = "sent", _("Sendt")
        HELD = "held", _("Holdt")
        FAILED = "failed", _("Feilet")
        LOCKED = "locked", _("Låst i Tripletex")
        REMOVED = "removed", _("Fjernet fra Tripletex")

    class Action(models.TextChoices):
        UPSERT = "upsert", _("Send")
        DELETE = "delete", _("Fjern")

    entry = models.ForeignKey(
        "hr.TimeEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="transfers"
    )
    # Kept when the entry itself is deleted, so its hours can still be taken back from Tripletex.
    local_entry_id = models.BigIntegerField()
    slot = models.ForeignKey(HourSlot, on_delete=models.PROTECT, related_name="transfers")
    wage_slot = models.ForeignKey(
        HourSlot, null=True, blank=True, on_delete=models.PROTECT, related_name="wage_transfers"
    )
    hours = models.DecimalField(max_digits=4, decimal_places=2)
    comment = models.CharField(max_length=500, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.UPSERT)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # Why it is held or failed, in the admin's words, and Tripletex's own message and request id.
    reason = models.CharField(max_length=300, blank=True)
    message = models.TextField(blank=True)
    request_id = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    export_run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["tenant", "state", "next_attempt_at"]),
            models.Index(fields=["state", "claimed_at"]),
            models.Index(fields=["tenant", "local_entry_id"]),
        ]

    def __str__(self):
        return f"{self.local_entry_id} {self.action} {self.state}"
