"""A company's connection to Tripletex, the links between our rows and Tripletex's, and sync logs."""
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import TenantOwned

from .crypto import EncryptedTextField


class Connection(TenantOwned):
    """One per company. Only an ACTIVE connection moves anything to or from Tripletex.

    NEEDS_TOKEN is a connection Tripletex stopped taking the key of (revoked, expired, its user deactivated):
    still set up, choices and links kept, but everything waits, untouched, until a new key makes it ACTIVE.
    """

    class State(models.TextChoices):
        NEW = "new", _("Ikke koblet til")
        ACTIVE = "active", _("Aktiv")
        NEEDS_TOKEN = "needs_token", _("Trenger ny API-nøkkel")
        REMOVED = "removed", _("Fjernet")

    state = models.CharField(max_length=20, choices=State.choices, default=State.NEW)
    employee_token = EncryptedTextField(blank=True)
    tripletex_company_id = models.BigIntegerField(null=True, blank=True)
    tripletex_company_name = models.CharField(max_length=200, blank=True)
    tripletex_employee_name = models.CharField(max_length=200, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    # Webhooks: Tripletex posts to /webhooks/tripletex/<webhook_key>/ with `webhook_secret` in a header.
    # The key only routes; the secret proves the call is Tripletex's.
    webhook_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webhook_secret = EncryptedTextField(blank=True)
    # When Tripletex refused the stored key, what it said, and when the admins were told (once per refusal).
    token_refused_at = models.DateTimeField(null=True, blank=True)
    token_refusal = models.TextField(blank=True)
    token_refusal_request_id = models.CharField(max_length=100, blank=True)
    admins_notified_at = models.DateTimeField(null=True, blank=True)
    # What the key's Tripletex user may do, per right of `integrations.rights`, as the last check or a refusal
    # of Tripletex's found it: {right: {"state": "ok"|"missing"|"unknown", "at": iso time, "message": …}}.
    rights = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="connection_one_per_tenant")]
        verbose_name = _("Tripletex-tilkobling")
        verbose_name_plural = _("Tripletex-tilkoblinger")

    def __str__(self):
        return f"{self.tenant} → Tripletex ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE

    @property
    def needs_token(self) -> bool:
        return self.state == self.State.NEEDS_TOKEN

    @property
    def is_connected(self) -> bool:
        """Set up with Tripletex (Ferdigstill done, not removed), whether or not its key works right now."""
        return self.state in (self.State.ACTIVE, self.State.NEEDS_TOKEN)


class Link(TenantOwned):
    """Our row ↔ Tripletex's object, per Tripletex company so a reconnect to another company never mixes.

    One table for every connector. The hashes are of the synced fields as last written or read on each
    side: a change that comes back carrying the hash we wrote is our own echo, not a new change.
    """

    class Kind(models.TextChoices):
        EMPLOYEE = "employee", _("Ansatt")
        PROJECT = "project", _("Prosjekt")
        WAGE_TYPE = "wage_type", _("Lønnsart")
        ACTIVITY = "activity", _("Aktivitet")
        CUSTOMER = "customer", _("Kunde")
        # An issued invoice ↔ its voucher; a payment ↔ its payment voucher (seed 004).
        INVOICE = "invoice", _("Faktura")
        PAYMENT = "payment", _("Innbetaling")
        # Seed 003: products, suppliers, a booked invoice ↔ its sales order draft, purchase orders and supplier
        # invoices ↔ theirs. Payment terms have no id in Tripletex (they are a customer's field there), so the
        # start-up copy never links them, only names them in the log.
        PRODUCT = "product", _("Vare")
        SUPPLIER = "supplier", _("Leverandør")
        PAYMENT_TERMS = "payment_terms", _("Betalingsbetingelse")
        SALES_ORDER = "sales_order", _("Salgsordrekladd")
        PURCHASE_ORDER = "purchase_order", _("Innkjøpsordre")
        SUPPLIER_INVOICE = "supplier_invoice", _("Leverandørfaktura")

    class State(models.TextChoices):
        LINKED = "linked", _("Koblet")
        # Deliberately cut (seed 000: a customer deleted here); nothing flows either way until restored.
        BROKEN = "broken", _("Brutt")
        GONE = "gone", _("Borte i Tripletex")

    class Unusable(models.TextChoices):
        """Why Tripletex will not take hours on a linked object, as the wizard last found it there."""

        CLOSED = "closed", _("Avsluttet i Tripletex")
        HIDDEN = "hidden", _("Brukes ikke i timelister i Tripletex")
        INACTIVE = "inactive", _("Inaktiv i Tripletex")
        LEFT = "left", _("Har sluttet i Tripletex")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    local_id = models.BigIntegerField()
    tripletex_company_id = models.BigIntegerField()
    tripletex_id = models.BigIntegerField()
    tripletex_version = models.IntegerField(null=True, blank=True)
    # Set when the object was not found in Tripletex on the last wizard run.
    missing_since = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.LINKED)
    # Set by a wizard run that found the object skipped by one of its rules (a project closed in Tripletex …);
    # the approval page warns from it without asking Tripletex. "" when hours on it are taken.
    unusable = models.CharField(max_length=10, choices=Unusable.choices, blank=True)
    local_hash = models.CharField(max_length=64, blank=True)
    remote_hash = models.CharField(max_length=64, blank=True)
    # The synced fields as both sides last agreed (our field names): tells which side changed which field.
    synced_values = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

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
        CONNECTOR = "connector", _("Integrasjon")

    class Trigger(models.TextChoices):
        WIZARD = "wizard", _("Veiviser")
        SCHEDULE = "schedule", _("Planlagt")
        WEBHOOK = "webhook", _("Endring i Tripletex")
        MANUAL = "manual", _("Synkroniser nå")
        LOCAL_CHANGE = "local_change", _("Endring her")
        STARTUP = "startup", _("Oppstartssynkronisering")

    class Status(models.TextChoices):
        RUNNING = "running", _("Pågår")
        SUCCEEDED = "succeeded", _("Fullført")
        PARTIAL = "partial", _("Fullført med feil")
        FAILED = "failed", _("Feilet")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    # For connector runs: which connector, and what started it.
    connector = models.CharField(max_length=40, blank=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "connector", "-created_at"])]

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
        UNCHANGED = "unchanged", _("Uendret")

    class Direction(models.TextChoices):
        TO_TRIPLETEX = "out", _("Til Tripletex")
        FROM_TRIPLETEX = "in", _("Fra Tripletex")

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="records")
    direction = models.CharField(max_length=3, choices=Direction.choices, blank=True)
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
        indexes = [models.Index(fields=["tenant", "created_at"])]


class ConnectionEvent(TenantOwned):
    """The history an admin sees: who connected, refreshed or removed Tripletex, and when."""

    class Action(models.TextChoices):
        CONNECTED = "connected", _("Koblet til")
        REFRESHED = "refreshed", _("Oppdatert")
        TOKEN_REPLACED = "token_replaced", _("Ny API-nøkkel")
        TOKEN_REFUSED = "token_refused", _("API-nøkkelen ble avvist av Tripletex")
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
        # A locked hour the admin put into Tripletex by hand: done with here, logged, never sent.
        HANDLED = "handled", _("Ordnet for hånd i Tripletex")

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
    # A locked row: who approved the period in Tripletex (its month status), so the admin knows who can open
    # it again. Its `next_attempt_at` is when the schedule looks at the period again.
    locked_by = models.CharField(max_length=200, blank=True)
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


class ConnectorConfig(TenantOwned):
    """A connector switched on or off for one company, its options, and where its reconcile got to."""

    name = models.CharField(max_length=40)
    enabled = models.BooleanField(default=False)
    options = models.JSONField(default=dict, blank=True)
    # Tripletex changes up to this moment are in; it moves only when a reconcile succeeds.
    watermark = models.DateTimeField(null=True, blank=True)
    # Per list read: the `versionDigest` last seen, sent back as If-None-Match (304 = nothing changed).
    digests = models.JSONField(default=dict, blank=True)
    last_run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="connector_config_unique")]

    def __str__(self):
        return f"{self.name} ({'on' if self.enabled else 'off'})"


class OutboundChange(TenantOwned):
    """The outbox for local changes to master data: "this row changed here, bring Tripletex in step".

    Written in the transaction that changed the row, only while a connector that owns the kind is on.
    It names the row, not its values: the worker sends the row's state when it runs, so several quick
    changes to one row coalesce into one pending change and one send of the latest state.
    """

    class Op(models.TextChoices):
        UPSERT = "upsert", _("Endret")
        DELETE = "delete", _("Slettet")

    class State(models.TextChoices):
        PENDING = "pending", _("Venter")
        SENDING = "sending", _("Sendes")
        DONE = "done", _("Ferdig")
        FAILED = "failed", _("Feilet")

    kind = models.CharField(max_length=20, choices=Link.Kind.choices)
    local_id = models.BigIntegerField()
    op = models.CharField(max_length=10, choices=Op.choices, default=Op.UPSERT)
    # A deleted row is gone when the worker runs: what it needs (number, name) is kept here.
    snapshot = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)
    request_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "local_id"], condition=models.Q(state="pending"),
                name="outbound_change_one_pending",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "state", "next_attempt_at"]),
            models.Index(fields=["state", "claimed_at"]),
        ]

    def __str__(self):
        return f"{self.kind} {self.local_id} {self.op} {self.state}"


class WebhookSubscription(TenantOwned):
    """A Tripletex `/event/subscription` we made for a connector, so it can be deleted again."""

    connector = models.CharField(max_length=40)
    event = models.CharField(max_length=60)
    tripletex_company_id = models.BigIntegerField()
    tripletex_id = models.BigIntegerField()
    status = models.CharField(max_length=40, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "tripletex_company_id", "event"], name="webhook_subscription_unique"
            ),
        ]

    def __str__(self):
        return f"{self.event} → {self.tripletex_id} ({self.status})"


class WebhookDelivery(TenantOwned):
    """A webhook call we accepted; the unique key drops a second delivery of the same change."""

    key = models.CharField(max_length=200)
    event = models.CharField(max_length=60)
    tripletex_id = models.BigIntegerField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="webhook_delivery_unique")]
        indexes = [models.Index(fields=["tenant", "created_at"])]


class RemoteChange(TenantOwned):
    """"Endret i Tripletex": a change found in Tripletex that waits for the admin to accept it.

    For companies that use only the wizard (seed 001 fetches data only when the wizard runs), nothing
    changes here until the admin accepts; accepting applies it as Ferdigstill would.
    """

    class Change(models.TextChoices):
        NEW = "new", _("Ny")
        CHANGED = "changed", _("Endret")
        CLOSED = "closed", _("Avsluttet")
        DELETED = "deleted", _("Slettet")

    class State(models.TextChoices):
        PENDING = "pending", _("Venter")
        ACCEPTED = "accepted", _("Godtatt")
        DISMISSED = "dismissed", _("Avvist")

    kind = models.CharField(max_length=20, choices=Link.Kind.choices)
    tripletex_company_id = models.BigIntegerField()
    tripletex_id = models.BigIntegerField()
    tripletex_version = models.IntegerField(null=True, blank=True)
    local_id = models.BigIntegerField(null=True, blank=True)
    change = models.CharField(max_length=10, choices=Change.choices)
    label = models.CharField(max_length=300, blank=True)
    # Our model's fields as Tripletex has them now, and what accepting would change ({field: [ours, theirs]}).
    data = models.JSONField(default=dict, blank=True)
    diff = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "tripletex_company_id", "kind", "tripletex_id"],
                condition=models.Q(state="pending"), name="remote_change_one_pending",
            ),
        ]


class RateBudget(models.Model):
    """A Tripletex company's rate budget where there is no Redis to keep it (see integrations.ratebudget).

    Not a company's data here: it is Tripletex's count, keyed by the Tripletex company, so two companies
    here connected to the same Tripletex company draw on one budget, as they do in Tripletex.
    The fields are `integrations.tripletex.ratelimit.Window`'s, plus the calls per minute.
    """

    key = models.CharField(max_length=80, unique=True)
    limit = models.IntegerField(null=True, blank=True)
    remaining = models.IntegerField(null=True, blank=True)
    reset_at = models.FloatField(null=True, blank=True)  # seconds since 1970, as the workers' clocks count
    calls = models.BigIntegerField(default=0)
    observed = models.BigIntegerField(default=0)
    # Calls made in minute `minute` (minutes since 1970), and in the hour before it ({minute: calls}).
    minute = models.BigIntegerField(default=0)
    minute_calls = models.IntegerField(default=0)
    earlier_minutes = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("API-budsjett i Tripletex")
        verbose_name_plural = _("API-budsjetter i Tripletex")

    def __str__(self):
        return self.key
