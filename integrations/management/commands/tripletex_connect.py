"""`manage.py tripletex_connect --tenant <slug> --token <key|-> [--all | --none]`: the activation wizard, no browser.

Approved hours that wait go as step 5's default sends them (dated from the first of this month) unless
`--send-hours all|none|YYYY-MM-DD` says otherwise.

The same services as the wizard's pages: check the API-nøkkel, fetch projects, wage types and employees,
choose, Ferdigstill. The fetches run here, not on a worker, so the command ends with the result.
"""
import datetime as dt
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_scopes import scope

from integrations.connectors import activation
from wizard import services
from wizard.models import Fetch

from ..foreground import tasks_in_this_process, tenant_by_slug

KIND_NAMES = {
    activation.PROJECT: gettext_lazy("prosjekter"), activation.WAGE_TYPE: gettext_lazy("lønnsarter"),
    activation.EMPLOYEE: gettext_lazy("ansatte"),
}


class Command(BaseCommand):
    help = ("Connect a company to Tripletex as the activation wizard does: check the key, fetch, choose all or "
            "none, Ferdigstill. Without --all or --none the wizard's own pre-selection is kept (what exists "
            "here already).")

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="the company's slug")
        parser.add_argument("--token", required=True,
                            help="the employee API key made in Tripletex for GrønnJobb; '-' reads it from standard "
                                 "input, which keeps it out of the process list and the shell's history")
        choice = parser.add_mutually_exclusive_group()
        choice.add_argument("--all", action="store_true", help="choose every fetched row that is not skipped by a rule")
        choice.add_argument("--none", action="store_true", help="choose nothing (hours still flow for what is linked)")
        parser.add_argument("--send-hours", default="", metavar="all|none|YYYY-MM-DD",
                            help="which approved hours that wait go now (default: dated from the first of this month)")
        parser.add_argument("--other-company", action="store_true",
                            help="confirm connecting another Tripletex company than the one linked before")

    def handle(self, *args, tenant, token, all, none, other_company, send_hours, **options):
        if token == "-":
            token = sys.stdin.readline().strip()
        company = tenant_by_slug(tenant)
        send, send_from = _send_hours(send_hours)
        if not settings.TRIPLETEX_CONSUMER_TOKEN:
            raise CommandError(_("TRIPLETEX_CONSUMER_TOKEN er ikke satt: uten den kan vi ikke snakke med Tripletex."))
        with scope(tenant=company):
            had_draft = services.draft_for(tenant=company) is not None
            try:
                with tasks_in_this_process():
                    draft = services.draft_check_token(
                        tenant=company, by=None, token=token, confirm_other_company=other_company,
                    )
            except services.OtherCompany as exc:
                raise CommandError(f"{exc.message} (--other-company)") from None
            except services.WizardError as exc:
                raise CommandError(exc.message) from None

            failed = Fetch.objects.filter(draft=draft).exclude(status=Fetch.Status.DONE)
            if failed.exists():
                errors = "; ".join(f"{KIND_NAMES[f.kind]}: {f.error or f.get_status_display()}" for f in failed)
                if not had_draft:
                    services.draft_cancel(tenant=company)  # nothing half-done, and no key left lying in a draft
                raise CommandError(_("Hentingen fra Tripletex feilet: %(errors)s") % {"errors": errors})

            if all or none:
                for kind in activation.KINDS:
                    services.items_select(draft=draft, kind=kind, selected=all)
            try:
                run = services.draft_finish(tenant=company, by=None, draft_id=draft.id, send_hours=send,
                                            send_hours_from=send_from)
            except services.WizardError as exc:
                raise CommandError(exc.message) from None

        self.stdout.write(_("%(tenant)s er koblet til Tripletex-selskapet «%(company)s».")
                          % {"tenant": company.name, "company": draft.tripletex_company_name})
        for kind in activation.KINDS:
            counts = run.summary.get(kind, {})
            self.stdout.write(_("%(kind)s: %(created)d opprettet, %(updated)d oppdatert, %(linked)d koblet, "
                                "%(skipped)d hoppet over") % {
                "kind": KIND_NAMES[kind], "created": counts.get("created", 0), "updated": counts.get("updated", 0),
                "linked": counts.get("linked", 0), "skipped": counts.get("skipped", 0),
            })


def _send_hours(value: str) -> tuple[str, dt.date | None]:
    if value in (services.SEND_ALL, services.SEND_NONE):
        return value, None
    if not value:
        return services.SEND_FROM, timezone.localdate().replace(day=1)
    try:
        return services.SEND_FROM, dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("--send-hours tar all, none eller en dato (ÅÅÅÅ-MM-DD).")) from None
