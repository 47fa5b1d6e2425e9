"""State changes of the REST API's own rows: API keys, and the answers kept for `Idempotency-Key`."""
import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from hr.models import TimeEntry
from hr.services import time_entry_save
from tenants.models import Tenant, User

from .models import IdempotencyKey, TenantAPIKey

# Writing "last used" on every request would make each GET a write; a minute is precise enough to
# tell a key in use from a forgotten one.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


def api_key_create(
    *, tenant: Tenant, name: str, read_only: bool = False, by: User | None = None,
) -> tuple[TenantAPIKey, str]:
    """A new key for the company; returns the row and the key itself, which is stored only as a hash."""
    scope = TenantAPIKey.Scope.READ_ONLY if read_only else TenantAPIKey.Scope.READ_WRITE
    return TenantAPIKey.objects.create_key(tenant=tenant, name=name.strip(), scope=scope, created_by=by)


def api_key_revoke(*, tenant: Tenant, api_key: TenantAPIKey) -> TenantAPIKey:
    """The key stops working at once, for good (the library refuses to un-revoke)."""
    now = timezone.now()
    TenantAPIKey.objects.filter(tenant=tenant, pk=api_key.pk, revoked=False).update(revoked=True, revoked_at=now)
    api_key.refresh_from_db()
    return api_key


def api_key_authenticate(raw_key: str) -> TenantAPIKey | None:
    """The usable key `raw_key` is, with its company, or None. Marks it used."""
    prefix, _dot, _secret = raw_key.partition(".")
    with scopes_disabled():
        # The library's get_from_key, with the company in the same query.
        api_key = TenantAPIKey.objects.select_related("tenant").filter(prefix=prefix, revoked=False).first()
        if api_key is None or not api_key.is_valid(raw_key) or api_key.has_expired:
            return None
        now = timezone.now()
        if api_key.last_used_at is None or api_key.last_used_at < now - LAST_USED_PRECISION:
            TenantAPIKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now
    return api_key


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass
class Stored:
    """A kept answer: `same_request` is False when the key came back with another request."""

    same_request: bool
    status_code: int
    content_type: str
    body: str


def _stored(row: IdempotencyKey, fingerprint: str) -> Stored:
    return Stored(row.fingerprint == fingerprint, row.status_code, row.content_type, row.body)


def idempotency_key_find(*, api_key: TenantAPIKey, key: str, fingerprint: str) -> Stored | None:
    """The answer kept for `key`, if one is and has not expired."""
    row = IdempotencyKey.objects.filter(
        tenant=api_key.tenant, api_key=api_key, key=key, expires_at__gt=timezone.now(),
    ).first()
    return None if row is None else _stored(row, fingerprint)


def idempotency_key_store(
    *, api_key: TenantAPIKey, key: str, fingerprint: str, status_code: int, content_type: str, body: str,
) -> Stored | None:
    """Keep the answer to the first request with `key`. Call in the transaction that did its work.

    Returns None when kept; when a concurrent request with the same key committed first, returns its
    answer, and the caller must roll its own work back and give that answer instead.
    """
    now = timezone.now()
    expires_at = now + dt.timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    IdempotencyKey.objects.filter(tenant=api_key.tenant, api_key=api_key, key=key, expires_at__lte=now).delete()
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                tenant=api_key.tenant, api_key=api_key, key=key, fingerprint=fingerprint, status_code=status_code,
                content_type=content_type, body=body, expires_at=expires_at,
            )
    except IntegrityError:
        # A request with the same key committed first (an expired answer was deleted above).
        winner = IdempotencyKey.objects.get(tenant=api_key.tenant, api_key=api_key, key=key)
        return _stored(winner, fingerprint)
    return None


def idempotency_keys_prune(*, now: dt.datetime | None = None) -> int:
    """Delete the kept answers that have expired, every company's."""
    with scopes_disabled():
        deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


class RowInvalid(Exception):
    """Row `index` of a batch was refused; nothing of the batch was stored."""

    def __init__(self, index: int, error: ValidationError):
        super().__init__(index, error)
        self.index = index
        self.error = error


@transaction.atomic
def time_entries_create(*, tenant: Tenant, rows: list[dict]) -> list[TimeEntry]:
    """Draft entries from a script's batch, all or none: each through the same service as one entry."""
    entries = []
    for index, row in enumerate(rows):
        try:
            entries.append(time_entry_save(tenant=tenant, **row))
        except ValidationError as exc:
            raise RowInvalid(index, exc) from exc
    return entries
