"""The activation wizard's draft, kept in the database per company so a reload or a second tab resumes it."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from integrations.crypto import EncryptedTextField
from tenants.models import TenantOwned


class Draft(TenantOwned):
    """One wizard run in progress. Deleted when Ferdigstill applies it; nothing here is active."""

    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The API-nøkkel pasted in step 1. Empty on a refresh that keeps the stored one.
    employee_token = EncryptedTextField(blank=True)
    tripletex_company_id = models.BigIntegerField(null=True, blank=True)
    tripletex_company_name = models.CharField(max_length=200, blank=True)
    tripletex_employee_name = models.CharField(max_length=200, blank=True)
    # The admin said yes to connecting a different Tripletex company than the one linked before.
    other_company_confirmed = models.BooleanField(default=False)
    # Step 1's checklist: what the key's Tripletex user may do (`integrations.rights`), filled by a task.
    rights = models.JSONField(default=dict, blank=True)
    rights_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="wizard_one_draft_per_tenant")]

    @property
    def token_checked(self) -> bool:
        return self.tripletex_company_id is not None


class Fetch(TenantOwned):
    """Fetching one kind from Tripletex for a draft: a row per kind, so the three can progress side by side."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Henter")
        DONE = "done", _("Hentet")
        FAILED = "failed", _("Feilet")

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="fetches")
    kind = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    fetched = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Bumped each time a fetch is (re)started, so a late task for an older attempt writes nothing.
    attempt = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["draft", "kind"], name="wizard_fetch_unique")]

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.fetched / self.total) if self.total else 0


class Item(TenantOwned):
    """One object fetched from Tripletex in this run, with what Ferdigstill will do with it."""

    class Kind(models.TextChoices):
        PROJECT = "project", _("Prosjekt")
        WAGE_TYPE = "wage_type", _("Lønnsart")
        EMPLOYEE = "employee", _("Ansatt")

    class Action(models.TextChoices):
        CREATE = "create", _("Opprettes")
        UPDATE = "update", _("Oppdateres")
        UNCHANGED = "unchanged", _("Uendret")
        SKIP = "skip", _("Hoppes over")

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    tripletex_id = models.BigIntegerField()
    tripletex_version = models.IntegerField(null=True, blank=True)
    number = models.CharField(max_length=50, blank=True)
    name = models.CharField(max_length=300)
    # The fields as they will be written to our model.
    data = models.JSONField(default=dict)
    action = models.CharField(max_length=10, choices=Action.choices)
    skip_reason = models.CharField(max_length=200, blank=True)
    # The skip rule as a `Link.Unusable` code where it means Tripletex takes no hours on the object; the
    # reason's words are in the language the fetch ran in, so Ferdigstill reads this instead.
    skip_code = models.CharField(max_length=10, blank=True)
    # field → [ours, Tripletex's], for an update.
    changes = models.JSONField(default=dict, blank=True)
    local_id = models.BigIntegerField(null=True, blank=True)
    selected = models.BooleanField(default=False)
    # Lower-cased number + name, so search is one indexed-free LIKE on one column.
    search = models.CharField(max_length=400, blank=True)

    class Meta:
        ordering = ["kind", "number", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["draft", "kind", "tripletex_id"], name="wizard_item_unique")]
        indexes = [models.Index(fields=["draft", "kind", "selected"])]

    def change_list(self) -> list[tuple[str, object, object]]:
        """(our field's label, ours, Tripletex's) for each field an update changes."""
        from integrations.connectors.activation import MODELS

        meta = MODELS[self.kind]._meta
        return [(meta.get_field(f).verbose_name, old, new) for f, (old, new) in self.changes.items()]
