"""Projects from Tripletex → here, to be chosen on sales and purchase orders (seed 003: "Hva kan overføres fra
Tripletex til Rackbeat? Prosjekt").

The only thing read from Tripletex after the start-up copy. Kept fresh by the `project.*` webhooks and by
the reconcile (a full read: a company has few projects, and Tripletex's project list has no `changedSince`).
A project here with the same number and no link is linked, not duplicated. Nothing goes back: our projects
are never sent to Tripletex by this connector.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from hr.models import Project

from ...models import Link, SyncRecord
from ...tripletex import NotFound
from ..base import SyncContext

Action = SyncRecord.Action
IN = SyncRecord.Direction.FROM_TRIPLETEX
PROJECT = Link.Kind.PROJECT
FIELDS = "id,version,number,name,startDate,endDate,isClosed,isInternal"

PROJECTS_FROM_TRIPLETEX = _("Prosjekter hentes fra Tripletex og kan velges på salgs- og innkjøpsordrer her")
PROJECT_CLOSED_IN_TRIPLETEX = _("Prosjekt avsluttet i Tripletex → fullført her")
PROJECT_DELETED_IN_TRIPLETEX = _("Prosjekt slettet i Tripletex → fullført her, ordrene som har det beholder det")
LINKED_BY_NUMBER = _("Prosjektet fantes her med samme nummer: koblet, ikke laget på nytt")


def reconcile(ctx: SyncContext) -> None:
    objs = ctx.client.project_list(fields=FIELDS)
    seen = set()
    for obj in objs:
        seen.add(obj["id"])
        _apply(ctx, obj, quiet=True)
    gone = Link.objects.filter(tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=PROJECT,
                               state=Link.State.LINKED).exclude(tripletex_id__in=seen)
    for link in gone:
        _gone(ctx, link)


def handle_remote_change(ctx: SyncContext, kind: str, tripletex_id: int, event: str) -> None:
    if kind != "project":
        return
    try:
        obj = ctx.client.project_get(int(tripletex_id), fields=FIELDS)
    except NotFound:
        link = _link(ctx, int(tripletex_id))
        if link is not None and link.state == Link.State.LINKED:
            _gone(ctx, link)
        return
    _apply(ctx, obj, quiet=True)


def _values(obj: dict) -> dict:
    def day(value):
        return dt.date.fromisoformat(value) if value else None

    return {"number": str(obj.get("number") or "").strip(), "name": str(obj.get("name") or "").strip()[:200],
            "start_date": day(obj.get("startDate")), "end_date": day(obj.get("endDate")),
            "is_internal": bool(obj.get("isInternal")),
            "status": Project.Status.COMPLETED if obj.get("isClosed") else Project.Status.ACTIVE}


def _apply(ctx: SyncContext, obj: dict, *, quiet: bool) -> None:
    values = _values(obj)
    with transaction.atomic():
        ctx.hold()
        link = _link(ctx, obj["id"])
        row = Project.objects.filter(tenant=ctx.tenant, id=link.local_id).first() if link else None
        if link is not None and row is None:
            return  # our project was removed; nothing here to keep fresh
        action, rule = Action.UPDATED, ""
        if row is None:
            linked = Link.objects.filter(tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=PROJECT)
            row = Project.objects.filter(tenant=ctx.tenant, number=values["number"]).exclude(
                id__in=linked.values("local_id")).order_by("id").first() if values["number"] else None
            if row is not None:
                action, rule = Action.LINKED, LINKED_BY_NUMBER
            else:
                row, action, rule = Project(tenant=ctx.tenant), Action.CREATED, PROJECTS_FROM_TRIPLETEX
        if row.status == Project.Status.DELETED:
            values.pop("status")  # deleted here stays deleted
        changed = [f for f, v in values.items() if getattr(row, f) != v]
        if changed and values.get("status") == Project.Status.COMPLETED and "status" in changed:
            rule = rule or PROJECT_CLOSED_IN_TRIPLETEX
        for f in changed:
            setattr(row, f, values[f])
        if row.pk is None or changed:
            row.save()
        if link is None:
            link = Link.objects.create(tenant=ctx.tenant, kind=PROJECT, local_id=row.id,
                                       tripletex_company_id=ctx.company_id, tripletex_id=obj["id"],
                                       tripletex_version=obj.get("version"))
        elif link.tripletex_version != obj.get("version"):
            link.tripletex_version = obj.get("version")
            link.save(update_fields=["tripletex_version", "updated_at"])
        if action != Action.UPDATED or changed or not quiet:
            ctx.record(kind=PROJECT, action=action, direction=IN, local_id=row.id, tripletex_id=obj["id"],
                       label=str(row), rule=rule)


def _gone(ctx: SyncContext, link: Link) -> None:
    with transaction.atomic():
        ctx.hold()
        link.state = Link.State.GONE
        link.save(update_fields=["state", "updated_at"])
        row = Project.objects.filter(tenant=ctx.tenant, id=link.local_id).first()
        if row is not None and row.status == Project.Status.ACTIVE:
            row.status = Project.Status.COMPLETED
            row.save(update_fields=["status", "updated_at"])
        ctx.record(kind=PROJECT, action=Action.UPDATED, direction=IN, local_id=link.local_id,
                   tripletex_id=link.tripletex_id, label=str(row or ""), rule=PROJECT_DELETED_IN_TRIPLETEX)


def _link(ctx: SyncContext, tripletex_id: int) -> Link | None:
    return Link.objects.filter(tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=PROJECT,
                               tripletex_id=tripletex_id).first()
