"""Encryption at rest for secrets such as a company's Tripletex employee token.

Keys come from settings.FIELD_ENCRYPTION_KEYS: the first encrypts, all decrypt, so a key can be
rotated by putting the new one first and running `manage.py rotate_encryption_keys` (`secrets_rotate`).
"""
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Value
from django.db.models.functions import Cast


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(_key_bytes(k)) for k in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    return _fernet().decrypt(value.encode()).decode()


class Secret(str):
    """A decrypted secret whose repr never shows the value, so it cannot leak into logs or tracebacks."""

    def __repr__(self):
        return "Secret('••••')"


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees the plain value (as `Secret`), '' means no secret."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        try:
            return Secret(decrypt(value))
        except InvalidToken as exc:
            raise ValueError("Cannot decrypt a stored secret: is FIELD_ENCRYPTION_KEYS missing the old key?") from exc

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return ""
        return encrypt(str(value))


@dataclass
class Rotation:
    rotated: int = 0
    current: int = 0
    # (model label, primary key, field) of values no key in FIELD_ENCRYPTION_KEYS opens: never the values.
    unreadable: list[tuple[str, object, str]] = field(default_factory=list)


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with an EncryptedTextField, and those fields: a new secret field is rotated without a list."""
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def secrets_rotate(*, dry_run: bool = False, batch_size: int = 500) -> Rotation:
    """Re-encrypt every stored secret under the first of FIELD_ENCRYPTION_KEYS.

    Works on the ciphertext alone, so no plain value is ever held longer than Fernet does. Each value is written
    back only if it is still the one read: a secret saved meanwhile is already under the first key and is kept.
    """
    first = Fernet(_key_bytes(settings.FIELD_ENCRYPTION_KEYS[0]))
    every = _fernet()
    result = Rotation()
    for model, names in encrypted_fields():
        manager = model._base_manager  # every company's rows: this is the platform's upkeep
        raw = {f"raw_{name}": Cast(name, output_field=models.TextField()) for name in names}
        last_pk = None
        while True:
            rows = manager.order_by("pk").annotate(**raw).values("pk", *raw)
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            batch = list(rows[:batch_size])
            if not batch:
                break
            last_pk = batch[-1]["pk"]
            for row in batch:
                for name in names:
                    value = row[f"raw_{name}"]
                    if not value:
                        continue
                    try:
                        first.decrypt(value.encode())
                        result.current += 1
                        continue
                    except InvalidToken:
                        pass
                    try:
                        new = every.rotate(value.encode()).decode()
                    except InvalidToken:
                        result.unreadable.append((model._meta.label, row["pk"], name))
                        continue
                    if not dry_run:
                        manager.filter(pk=row["pk"], **{name: _text(value)}).update(**{name: _text(new)})
                    result.rotated += 1
    return result


def _key_bytes(key) -> bytes:
    return key.encode() if isinstance(key, str) else key


def _text(value: str) -> Value:
    """The ciphertext as it is: an EncryptedTextField would encrypt a plain value once more."""
    return Value(value, output_field=models.TextField())
