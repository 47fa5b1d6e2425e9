"""`manage.py rotate_encryption_keys [--dry-run]`: every stored secret re-encrypted under the first key.

Put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), restart, run this; once it reports
nothing unreadable and nothing left to rotate, the old keys can go. Prints counts, never a secret.
"""
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from integrations.crypto import secrets_rotate


class Command(BaseCommand):
    help = "Re-encrypt every stored secret under the first of FIELD_ENCRYPTION_KEYS (the others still decrypt)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would be rotated; change nothing")

    def handle(self, *args, dry_run=False, **options):
        result = secrets_rotate(dry_run=dry_run)
        if dry_run:
            self.stdout.write(_("Ville krypteres på nytt: %(rotated)d. Allerede under første nøkkel: %(current)d.")
                              % {"rotated": result.rotated, "current": result.current})
        else:
            self.stdout.write(_("Kryptert på nytt: %(rotated)d. Allerede under første nøkkel: %(current)d.")
                              % {"rotated": result.rotated, "current": result.current})
        if result.unreadable:
            rows = ", ".join(f"{label} {pk} ({name})" for label, pk, name in result.unreadable)
            raise CommandError(
                _("Ingen nøkkel i FIELD_ENCRYPTION_KEYS åpner %(count)d verdier: %(rows)s. Legg til nøkkelen de ble "
                  "kryptert med, og kjør kommandoen igjen; fjern ingen gammel nøkkel før da.")
                % {"count": len(result.unreadable), "rows": rows}
            )
