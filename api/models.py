"""The REST API's own rows: a company's API keys, and the answers kept for repeated POSTs."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager

from tenants.models import Tenant, TenantOwned, tenant_scoped_manager


class TenantAPIKey(AbstractAPIKey):
    """A key a business system sends as `Authorization: Api-Key <key>`; it acts for one company only.

    Only a hash is stored (the library's); the key itself is shown once, when it is made. Scoped like
    every tenant-owned row: a request finds its key with scopes disabled, then enters the key's company.
    """

    class Scope(models.TextChoices):
        READ_ONLY = "read_only", _("Kun lesing")
        READ_WRITE = "read_write", _("Lesing og skriving")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(_("tilgang"), max_length=10, choices=Scope.choices, default=Scope.READ_WRITE)
    # Whoever made it on the page (a command leaves it empty); what the key does is done in their name.
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = tenant_scoped_manager(APIKeyManager)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API-nøkkel")
        verbose_name_plural = _("API-nøkler")

    @property
    def read_only(self) -> bool:
        return self.scope == self.Scope.READ_ONLY


class IdempotencyKey(TenantOwned):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed when the same key comes again.

    Written in the transaction that did the POST's work, so an answer is kept exactly when its work is.
    """

    api_key = models.ForeignKey(TenantAPIKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # sha256 of the method, path and body: the same key with another request is refused, not replayed.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_unique_per_api_key")]
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self):
        return f"{self.key} → {self.status_code}"
