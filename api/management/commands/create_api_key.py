"""`manage.py create_api_key --tenant <slug> --name <name> [--read-only]`: the key alone on the last line.

For operators and scripts setting up a business system; the same service as the API-nøkler page.
"""
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django_scopes import scope

from api.services import api_key_create
from integrations.management.foreground import USAGE_ERROR, tenant_by_slug


class Command(BaseCommand):
    help = "Make an API key for a company and print it (only a hash is kept: this is the one chance to copy it)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="the company's slug")
        parser.add_argument("--name", required=True, help="what the key is for, at most 50 characters")
        parser.add_argument("--read-only", action="store_true", help="the key may only read")

    def handle(self, *args, tenant, name, read_only, **options):
        company = tenant_by_slug(tenant)
        if not 0 < len(name.strip()) <= 50:
            raise CommandError(_("Navnet må ha 1–50 tegn."), returncode=USAGE_ERROR)
        with scope(tenant=company):
            api_key, key = api_key_create(tenant=company, name=name, read_only=read_only)
        access = _("kun lesing") if read_only else _("lesing og skriving")
        self.stderr.write(_("API-nøkkel «%(name)s» for %(company)s (%(access)s). Den vises bare nå:") % {
            "name": api_key.name, "company": company.name, "access": access,
        })
        self.stdout.write(key)
