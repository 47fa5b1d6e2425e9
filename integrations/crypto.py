"""Encryption at rest for secrets such as a company's Tripletex employee token.

Keys come from settings.FIELD_ENCRYPTION_KEYS: the first encrypts, all decrypt, so a key can be
rotated by putting the new one first and re-saving (see `rotate`).
"""
from cryptography.fernet import InvalidToken, MultiFernet, Fernet
from django.conf import settings
from django.db import models


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    return _fernet().decrypt(value.encode()).decode()


def rotate(value: str) -> str:
    return _fernet().rotate(value.encode()).decode()


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
