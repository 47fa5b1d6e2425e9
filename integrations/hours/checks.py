"""Before approval: which of the hours shown Tripletex will not take, from what we already know here — the links,
the wizard's last refresh, "Endret i Tripletex", locked dates and what Tripletex refused before. No Tripletex
call: a page of 500 hours costs the same few queries as a page of one.

A problem that `blocks` keeps the hours out of Tripletex (they would be held, refused or locked); the others
only keep back the count per wage type. Each says which, and links to where it is fixed.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from hr.models import Project, TimeEntry
from tenants.models import Tenant

from ..models import Connection, HourTransfer, Link, RemoteChange
from .slots import REASON_REFUSED

State = HourTransfer.State


@dataclass(frozen=True)
class Problem:
    code: str
    text: str
    fix_label: str
    fix_url: str
    blocks: bool = True


def approval_problems(*, tenant: Tenant, entries: Iterable[TimeEntry]) -> dict[int, list[Problem]]:
    """Entry id → its problems, for entries with any. Five queries, however many entries."""
    entries = list(entries)
    connection = Connection.objects.filter(tenant=tenant).first()
    if not entries or connection is None or not connection.is_connected:
        return {}  # nothing goes to Tripletex yet: the wizard decides, not this page
    known = _Known(tenant, connection.tripletex_company_id, entries)
    found = {}
    for entry in entries:
        problems = [p for p in (
            known.employee(entry), known.project(entry), known.refused_before(entry), known.locked(tenant, entry),
            known.wage_type(entry),
        ) if p is not None]
        if problems:
            found[entry.id] = problems
    return found


def clean_ids(*, tenant: Tenant, entries: Iterable[TimeEntry]) -> list[int]:
    """The entries without a problem that blocks them: what «Godkjenn alle uten hindringer» approves."""
    entries = list(entries)
    problems = approval_problems(tenant=tenant, entries=entries)
    return [e.id for e in entries if not any(p.blocks for p in problems.get(e.id, ()))]


def _wizard(step: str) -> str:
    return reverse("wizard:step", kwargs={"step": step})


def _remote_changes() -> str:
    return reverse("company_settings") + "#tripletex"


class _Known:
    """What the database knows about the Tripletex side of these entries, read once for all of them."""

    def __init__(self, tenant: Tenant, company_id: int, entries: list[TimeEntry]):
        ids = defaultdict(set)
        for e in entries:
            ids[Link.Kind.EMPLOYEE].add(e.employee_id)
            ids[Link.Kind.PROJECT].add(e.project_id)
            if e.wage_type_id:
                ids[Link.Kind.WAGE_TYPE].add(e.wage_type_id)
        wanted = Q()
        for kind, local_ids in ids.items():
            wanted |= Q(kind=kind, local_id__in=local_ids)
        self.links = {(link.kind, link.local_id): link for link in Link.objects.filter(
            tenant=tenant, tripletex_company_id=company_id).filter(wanted)}
        # Closed or deleted in Tripletex, waiting in "Endret i Tripletex" for the admin to accept it.
        self.remote_gone = dict(RemoteChange.objects.filter(
            tenant=tenant, tripletex_company_id=company_id, kind=Link.Kind.PROJECT, state=RemoteChange.State.PENDING,
            change__in=(RemoteChange.Change.CLOSED, RemoteChange.Change.DELETED),
            local_id__in=ids[Link.Kind.PROJECT],
        ).values_list("local_id", "change"))
        # Days Tripletex refused as locked, per employee and month: a day up to one of them is locked too.
        self.locked_days: dict[tuple[int, str], tuple[dt.date, str]] = {}
        for employee_id, day, by in HourTransfer.objects.filter(
            tenant=tenant, state=State.LOCKED, slot__employee_id__in=ids[Link.Kind.EMPLOYEE],
        ).values_list("slot__employee_id", "slot__date", "locked_by"):
            key = (employee_id, f"{day:%Y-%m}")
            if key not in self.locked_days or day > self.locked_days[key][0]:
                self.locked_days[key] = (day, by)
        # Hours on a project and activity that Tripletex refused last time, with its words.
        self.refused = {}
        for project_id, activity_id, message in HourTransfer.objects.filter(
            tenant=tenant, state=State.FAILED, reason=REASON_REFUSED, slot__project_id__in=ids[Link.Kind.PROJECT],
        ).order_by("updated_at").values_list("slot__project_id", "slot__activity_id", "message"):
            self.refused[(project_id, activity_id)] = message

    def _link(self, kind: str, local_id: int) -> Link | None:
        return self.links.get((kind, local_id))

    def employee(self, entry: TimeEntry) -> Problem | None:
        link = self._link(Link.Kind.EMPLOYEE, entry.employee_id)
        if link is None:
            return Problem("employee_not_linked", _("Ansatten er ikke koblet til Tripletex."),
                           _("Velg ansatte i veiviseren"), _wizard("ansatte"))
        if link.state != Link.State.LINKED or link.missing_since:
            return Problem("employee_gone", _("Ansatten finnes ikke lenger i Tripletex."),
                           _("Se endringene fra Tripletex"), _remote_changes())
        if link.unusable == Link.Unusable.LEFT:
            return Problem("employee_left", _("Ansatten har sluttet i Tripletex; timer etter sluttdatoen avvises."),
                           _("Se ansatte i veiviseren"), _wizard("ansatte"), blocks=False)
        return None

    def project(self, entry: TimeEntry) -> Problem | None:
        link = self._link(Link.Kind.PROJECT, entry.project_id)
        if link is None:
            return Problem("project_not_linked", _("Prosjektet er ikke koblet til Tripletex."),
                           _("Velg prosjekter i veiviseren"), _wizard("prosjekter"))
        pending = self.remote_gone.get(entry.project_id)
        if pending is not None:
            text = (_("Prosjektet er slettet i Tripletex.") if pending == RemoteChange.Change.DELETED
                    else _("Prosjektet er avsluttet i Tripletex."))
            return Problem("project_closed", text, _("Se endringene fra Tripletex"), _remote_changes())
        if link.state != Link.State.LINKED or link.missing_since:
            return Problem("project_gone", _("Prosjektet finnes ikke lenger i Tripletex."),
                           _("Se endringene fra Tripletex"), _remote_changes())
        if link.unusable == Link.Unusable.CLOSED:
            return Problem("project_closed", _("Prosjektet er avsluttet i Tripletex."),
                           _("Åpne det i Tripletex, og oppdater i veiviseren"), _wizard("prosjekter"))
        if entry.project.status != Project.Status.ACTIVE:
            return Problem("project_closed", _("Prosjektet er fullført eller slettet, og er avsluttet i Tripletex."),
                           _("Se prosjektet"), reverse("hr:project_edit", args=[entry.project_id]))
        return None

    def refused_before(self, entry: TimeEntry) -> Problem | None:
        message = self.refused.get((entry.project_id, entry.activity_id))
        if message is None:
            return None
        return Problem("refused_before", _("Tripletex avviste sist timer på dette prosjektet med denne aktiviteten: "
                                           "%(message)s") % {"message": message},
                       _("Se Timeoverføring"), reverse("integrations:hours"))

    def locked(self, tenant: Tenant, entry: TimeEntry) -> Problem | None:
        if tenant.hours_locked_until and entry.date <= tenant.hours_locked_until:
            return Problem("locked_here", _("Perioden er låst til og med %(date)s.") % {
                "date": date_format(tenant.hours_locked_until, "d.m.Y")},
                _("Se selskapsinnstillingene"), reverse("company_settings"))
        known = self.locked_days.get((entry.employee_id, f"{entry.date:%Y-%m}"))
        if known is not None and entry.date <= known[0]:
            text = _("Tripletex har låst perioden for denne ansatte.")
            if known[1]:
                text += " " + _("Godkjent av %(name)s.") % {"name": known[1]}
            return Problem("locked_in_tripletex", text, _("Se låste timer på Timeoverføring"),
                           reverse("integrations:hours") + "#laste-perioder")
        return None

    def wage_type(self, entry: TimeEntry) -> Problem | None:
        if not entry.wage_type_id:
            return None
        link = self._link(Link.Kind.WAGE_TYPE, entry.wage_type_id)
        if link is None:
            text = _("Lønnsarten er ikke koblet til Tripletex: timene sendes, men ikke antallet per lønnsart.")
        elif link.unusable in (Link.Unusable.HIDDEN, Link.Unusable.INACTIVE):
            text = _("Lønnsarten brukes ikke i timelister i Tripletex: timene sendes, men ikke antallet per "
                     "lønnsart.")
        else:
            return None
        return Problem("wage_type", text, _("Velg lønnsarter i veiviseren"), _wizard("lonnsarter"), blocks=False)
