"""`manage.py connectors --tenant <slug> list | enable <name> | disable <name> | run <name>`.

The same services as the Integrasjoner page. `run` synchronises in the foreground and prints one JSON line.
"""
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django_scopes import scope

from integrations.connectors import registry, selectors, services
from integrations.connectors.requirements import connector_requirements_missing
from integrations.models import SyncRun

from ..foreground import USAGE_ERROR, tasks_in_this_process, tenant_by_slug


class Command(BaseCommand):
    help = "List a company's connectors, switch one on or off, or run one now (prints one JSON line)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="the company's slug")
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="every connector, on or off, and its last run")
        for action, text in (("enable", "switch a connector on"), ("disable", "switch a connector off"),
                             ("run", "synchronise now, in the foreground")):
            actions.add_parser(action, help=text).add_argument("name")

    def handle(self, *args, tenant, action, name=None, **options):
        company = tenant_by_slug(tenant)
        with scope(tenant=company):
            if action == "list":
                return self._list(company)
            connector = registry.get(name)
            if connector is None:
                known = ", ".join(sorted(c.name for c in registry.all_connectors()))
                message = _("Ukjent integrasjon «%(name)s». Kjente: %(known)s.") % {"name": name, "known": known}
                raise CommandError(message, returncode=USAGE_ERROR)
            if action == "run":
                return self._run(company, connector)
            if not selectors.connection_active(tenant=company):
                raise CommandError(_("Tripletex er ikke koblet til for %(company)s. Koble til først.")
                                   % {"company": company.name})
            if action == "enable":
                reasons = connector_requirements_missing(tenant=company, connector=connector)
                if reasons:
                    raise CommandError(" ".join([_("«%(title)s» er ikke slått på.") % {"title": connector.title},
                                                 *reasons]))
                try:
                    services.connector_enable(tenant=company, name=connector.name, by=None)
                except services.ActionRefused as exc:
                    raise CommandError(exc.message) from exc
                self.stdout.write(_("«%(title)s» er slått på.") % {"title": connector.title})
            else:
                services.connector_disable(tenant=company, name=connector.name, by=None)
                self.stdout.write(_("«%(title)s» er slått av.") % {"title": connector.title})

    def _list(self, company):
        if not selectors.connection_active(tenant=company):
            self.stdout.write(_("Tripletex er ikke koblet til: ingen integrasjon kjører."))
        for card in selectors.connector_cards(tenant=company):
            run = card.last_run
            last = f"{run.get_status_display()} {run.created_at:%Y-%m-%d %H:%M}" if run else _("ingen kjøring ennå")
            state = _("slått på") if card.enabled else _("slått av")
            self.stdout.write(f"{card.connector.name}\t{state}\t{card.connector.title}\t{last}")

    def _run(self, company, connector):
        if connector.reconcile is None:
            raise CommandError(_("«%(title)s» har ingen synkronisering å kjøre.") % {"title": connector.title})
        with tasks_in_this_process():
            run = services.connector_run_request(tenant=company, name=connector.name, trigger=SyncRun.Trigger.MANUAL)
        run.refresh_from_db()
        line = {"connector": connector.name, "run": run.id, "status": run.status,
                "counts": (run.summary or {}).get("counts", {})}
        if run.message:
            line["message"] = run.message
        self.stdout.write(json.dumps(line, ensure_ascii=False))
        if run.status not in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL):
            raise CommandError(_("Synkroniseringen ble ikke fullført."))
