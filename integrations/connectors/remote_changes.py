"""“Endret i Tripletex”: for a company that uses only the wizard, the nightly look at what changed there.

Seed 001 fetches data only when the wizard runs, so nothing here changes by itself: projects, employees
and wage types that are new, changed, closed or deleted in Tripletex are collected as `RemoteChange` rows
(one pending per object, with what accepting would do in `diff`), and the admin accepts them one at a
time or all at once, or dismisses them. Accepting applies a change as Ferdigstill would (create, update,
link; complete or flag a closed or deleted one) without running the wizard again. A decided change comes
back only when the object changes again in Tripletex (a newer version).

What the wizard showed the admin and they left unchosen is not offered again as new: it was a choice.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from hr.models import Project
from tenants.models import Tenant, User

from ..clients import pooled_client_for_connection
from ..models import Connection, Link, RemoteChange, SyncRecord, SyncRun
from ..tripletex import TripletexClient, TripletexError
from . import activation
from .activation import EMPLOYEE, PROJECT, WAGE_TYPE

# `SyncRun.connector` of its runs: the nightly collection and the admin's accepts.
NAME = "remote_changes"
PATHS = {PROJECT: "/project", WAGE_TYPE: "/salary/type", EMPLOYEE: "/employee"}
CONFIRM_BATCH = 100
Change = RemoteChange.Change


class NotConnected(Exception):
    def __init__(self):
        self.message = _("Tripletex er ikke koblet til.")
        super().__init__(self.message)


def needed(*, tenant: Tenant) -> bool:
    """Only while no switched-on connector keeps these kinds in step by itself (the two-way sync does)."""
    from .services import enabled_connectors

    return not any(set(c.kinds) & set(activation.LINK_KINDS.values()) for c in enabled_connectors(tenant=tenant))


# --- the nightly collection ------------------------------------------------------------------------------

def remote_changes_request(*, tenant: Tenant, trigger: str = SyncRun.Trigger.SCHEDULE) -> SyncRun:
    run = SyncRun.objects.create(tenant=tenant, kind=SyncRun.Kind.CONNECTOR, connector=NAME, trigger=trigger)
    transaction.on_commit(lambda: _enqueue(run_id=run.id), robust=True)
    return run


def _enqueue(*, run_id: int) -> None:
    from ..tasks import remote_changes_collect

    remote_changes_collect.delay(run_id=run_id)


def remote_changes_run(*, run: SyncRun) -> SyncRun:
    """The task body: read Tripletex and bring the company's pending changes up to date. Safe to run twice."""
    from .runner import sync_run_finish

    if run.status != SyncRun.Status.RUNNING or run.finished_at is not None:
        return run
    connection = Connection.objects.filter(tenant=run.tenant).first()
    if connection is None or not connection.is_active:
        return sync_run_finish(run, error=_("Tripletex er ikke koblet til."))
    if not needed(tenant=run.tenant):
        return sync_run_finish(run, error=_("Toveis synkronisering er slått på: endringene kommer inn av seg selv."))
    client = pooled_client_for_connection(connection)
    try:
        counts = {kind: dict(_collect(run.tenant, connection, client, kind)) for kind in activation.KINDS}
    except TripletexError as exc:
        from .runner import stopped_by

        return sync_run_finish(run, error=stopped_by(connection, exc))
    run.summary = {**(run.summary or {}), "changes": counts}
    return sync_run_finish(run)


def _pages(client: TripletexClient, kind: str) -> Iterator[list[dict]]:
    if kind == WAGE_TYPE:
        # SalaryType has no inactive field to select, only a filter (as in the wizard's fetch).
        inactive = {o["id"] for o in client.salary_type_list(is_inactive=True, fields="id")}
    page: list[dict] = []
    for obj in client.paginate(PATHS[kind], fields=activation.FIELDS[kind], sorting="id"):
        if kind == WAGE_TYPE:
            obj = {**obj, "isInactive": obj["id"] in inactive}
        page.append(obj)
        if len(page) >= client.page_size:
            yield page
            page = []
    if page:
        yield page


def _collect(tenant: Tenant, connection: Connection, client: TripletexClient, kind: str) -> Counter:
    company_id = connection.tripletex_company_id
    today = timezone.localdate()
    model = activation.MODELS[kind]
    links = {link.tripletex_id: link for link in Link.objects.filter(
        tenant=tenant, tripletex_company_id=company_id, kind=activation.LINK_KINDS[kind], state=Link.State.LINKED)}
    matcher = activation.Matcher(tenant, company_id, kind)
    states = dict(model.objects.filter(tenant=tenant).values_list("id", "status" if kind == PROJECT else "active"))
    shown = _shown_by_wizard(tenant, kind)
    changes = RemoteChange.objects.filter(tenant=tenant, tripletex_company_id=company_id, kind=kind)
    pending = {c.tripletex_id: c for c in changes.filter(state=RemoteChange.State.PENDING)}
    decided = dict(changes.exclude(state=RemoteChange.State.PENDING).values("tripletex_id")
                   .annotate(v=Max("tripletex_version")).values_list("tripletex_id", "v"))
    counts: Counter = Counter()
    seen: set[int] = set()
    taken: set[int] = set()

    def offer(tripletex_id: int, version, proposal) -> None:
        current = pending.pop(tripletex_id, None)
        if proposal is None:
            if current is not None:
                current.delete()  # no longer true in Tripletex
            return
        change, data, diff, local_id, label = proposal
        if current is None and tripletex_id in decided and (
                version is None or decided[tripletex_id] is None or version <= decided[tripletex_id]):
            return  # the admin already decided on this version (or on this object, when its version is unknown)
        counts[change] += 1
        values = {"change": change, "data": data, "diff": diff, "local_id": local_id,
                  "tripletex_version": version, "label": label[:300]}
        if current is not None and all(getattr(current, f) == v for f, v in values.items()):
            return
        row = current or RemoteChange(tenant=tenant, tripletex_company_id=company_id, kind=kind,
                                      tripletex_id=tripletex_id)
        for field, value in values.items():
            setattr(row, field, value)
        row.save()

    for page in _pages(client, kind):
        with transaction.atomic():
            for obj in page:
                seen.add(obj["id"])
                link = links.get(obj["id"])
                data, skip = activation.normalise(kind, obj, today)
                if link is not None:
                    proposal = _linked(kind, obj, data, skip, link, matcher, states)
                elif skip or obj["id"] in shown:
                    proposal = None
                else:
                    local_id = matcher.match(obj["id"], data)
                    if local_id in taken:
                        continue  # two Tripletex objects with one number here: the wizard sorts that out
                    if local_id is not None:
                        taken.add(local_id)
                    diff = matcher.changes(local_id, data) if local_id else {}
                    proposal = (Change.NEW, data, diff, local_id, _label(kind, data))
                offer(obj["id"], obj.get("version"), proposal)

    gone = _confirm_gone(client, kind, [i for i in links if i not in seen])
    with transaction.atomic():
        for tripletex_id in gone:
            link = links[tripletex_id]
            if link.local_id not in states:
                offer(tripletex_id, link.tripletex_version, None)
                continue
            diff = _closing_diff(kind, states[link.local_id])
            if link.missing_since is not None and not diff:
                offer(tripletex_id, link.tripletex_version, None)  # already flagged, nothing more to do
                continue
            row = matcher.rows.get(link.local_id) or {}
            label = _label(kind, {**{f: "" for f in activation.FIELD_NAMES[kind]}, **row})
            offer(tripletex_id, link.tripletex_version, (Change.DELETED, {}, diff, link.local_id, label))
        # What is left was offered for an object Tripletex no longer has, or that is no longer linked.
        for current in pending.values():
            current.delete()
    return counts


def _linked(kind, obj, data, skip, link, matcher, states):
    if link.local_id not in states:
        return None  # our row is gone
    closing = {}
    if (kind == PROJECT and obj.get("isClosed")) or (kind == EMPLOYEE and skip == str(activation.SKIP_LEFT)) \
            or (kind == WAGE_TYPE and obj.get("isInactive")):
        closing = _closing_diff(kind, states[link.local_id])
    newer = link.tripletex_version is None or (obj.get("version") or 0) > link.tripletex_version
    diff = {**(matcher.changes(link.local_id, data) if newer else {}), **closing}
    if not diff:
        return None
    return (Change.CLOSED if closing else Change.CHANGED), data, diff, link.local_id, _label(kind, data)


def _closing_diff(kind: str, state) -> dict:
    """What closing (or deleting) the object in Tripletex does here: a project is completed, a wage type or
    an employee that has left is made inactive. Empty when ours already is."""
    if kind == PROJECT:
        return {"status": [state, Project.Status.COMPLETED]} if state == Project.Status.ACTIVE else {}
    return {"active": [True, False]} if state else {}


def _shown_by_wizard(tenant: Tenant, kind: str) -> set[int]:
    last = SyncRun.objects.filter(
        tenant=tenant, kind__in=(SyncRun.Kind.ACTIVATION, SyncRun.Kind.REFRESH), status=SyncRun.Status.SUCCEEDED,
    ).order_by("-created_at").first()
    if last is None:
        return set()
    return set(SyncRecord.objects.filter(run=last, object_kind=kind).values_list("tripletex_id", flat=True))


def _confirm_gone(client: TripletexClient, kind: str, missing: list[int]) -> list[int]:
    """Linked objects a full read did not return, asked for by id: paging shifts when a list changes."""
    gone: list[int] = []
    for start in range(0, len(missing), CONFIRM_BATCH):
        chunk = missing[start:start + CONFIRM_BATCH]
        still = {o["id"] for o in client.list_all(PATHS[kind], params={"id": chunk}, fields="id")}
        gone += [i for i in chunk if i not in still]
    return gone


def _label(kind: str, data: dict) -> str:
    number, name = activation.display(kind, data)
    return f"{number} {name}".strip()


# --- what accepting does ---------------------------------------------------------------------------------

def outcome(change: RemoteChange) -> str:
    """What accepting `change` would do here, in the admin's words."""
    fields = _diff_text(change)
    if change.change == Change.NEW:
        if change.local_id is None:
            return _("Opprettes her.")
        if fields:
            return _("Kobles til den som finnes her, og oppdateres: %(fields)s.") % {"fields": fields}
        return _("Kobles til den som finnes her.")
    if change.change == Change.CHANGED:
        return _("Oppdateres her: %(fields)s.") % {"fields": fields}
    if change.change == Change.CLOSED:
        text = _("Settes til fullført her.") if change.kind == PROJECT else _("Settes som inaktiv her.")
        others = _diff_text(change, skip=("status", "active"))
        if others:
            return _("%(closing)s Oppdateres også: %(fields)s.") % {"closing": text, "fields": others}
        return text
    if change.diff:
        if change.kind == PROJECT:
            return _("Settes til fullført her, og merkes som borte i Tripletex.")
        return _("Settes som inaktiv her, og merkes som borte i Tripletex.")
    return _("Merkes som borte i Tripletex.")


def _diff_text(change: RemoteChange, skip: tuple[str, ...] = ()) -> str:
    meta = activation.MODELS[change.kind]._meta
    return ", ".join(
        f"{meta.get_field(f).verbose_name} «{old or '–'}» → «{new}»"
        for f, (old, new) in change.diff.items() if f not in skip
    )


def remote_changes_accept(*, tenant: Tenant, by: User, ids: list[int] | None = None) -> SyncRun:
    """Godta (the given pending changes) / Godta alle (`ids=None`): each applied on its own, logged in one run."""
    from .runner import sync_run_finish

    connection = Connection.objects.filter(tenant=tenant).first()
    if connection is None or not connection.is_active:
        raise NotConnected()
    run = SyncRun.objects.create(tenant=tenant, kind=SyncRun.Kind.CONNECTOR, connector=NAME,
                                 trigger=SyncRun.Trigger.MANUAL, started_by=by)
    pending = RemoteChange.objects.filter(
        tenant=tenant, tripletex_company_id=connection.tripletex_company_id, state=RemoteChange.State.PENDING)
    if ids is not None:
        pending = pending.filter(id__in=ids)
    for change_id in list(pending.order_by("kind", "id").values_list("id", flat=True)):
        with transaction.atomic():
            change = RemoteChange.objects.select_for_update().filter(
                id=change_id, state=RemoteChange.State.PENDING).first()
            if change is None:
                continue  # decided in another tab meanwhile
            try:
                with transaction.atomic():
                    action, local_id, message = _apply(tenant, change)
            except IntegrityError:
                action, local_id, message = SyncRecord.Action.FAILED, change.local_id, _(
                    "Kunne ikke tas inn: nummeret eller e-posten er allerede brukt av en annen her.")
            SyncRecord.objects.create(
                tenant=tenant, run=run, direction=SyncRecord.Direction.FROM_TRIPLETEX, object_kind=change.kind,
                local_id=local_id, tripletex_id=change.tripletex_id, label=change.label, action=action,
                rule=str(change.get_change_display()), message=message,
            )
            if action != SyncRecord.Action.FAILED:
                change.state, change.decided_by, change.decided_at = RemoteChange.State.ACCEPTED, by, timezone.now()
                change.save(update_fields=["state", "decided_by", "decided_at", "updated_at"])
    return sync_run_finish(run)


def remote_change_dismiss(*, tenant: Tenant, change_id: int, by: User) -> bool:
    """Avvis: nothing changes here; the change comes back only if the object changes again in Tripletex."""
    return bool(RemoteChange.objects.filter(tenant=tenant, id=change_id, state=RemoteChange.State.PENDING).update(
        state=RemoteChange.State.DISMISSED, decided_by=by, decided_at=timezone.now(), updated_at=timezone.now()))


def _apply(tenant: Tenant, change: RemoteChange) -> tuple[str, int | None, str]:
    """(record action, our row's id, message) for one accepted change, as Ferdigstill would do it."""
    kind, model = change.kind, activation.MODELS[change.kind]
    link_kind = activation.LINK_KINDS[kind]
    links = Link.objects.filter(tenant=tenant, tripletex_company_id=change.tripletex_company_id, kind=link_kind)
    link = links.filter(tripletex_id=change.tripletex_id).first()
    row = model.objects.filter(tenant=tenant, id=link.local_id).first() if link else None
    now = timezone.now()

    if change.change == Change.DELETED:
        if link is None or row is None:
            return SyncRecord.Action.UNCHANGED, None, _("Ikke koblet her lenger.")
        _close(kind, row)
        links.filter(id=link.id).update(missing_since=link.missing_since or now, updated_at=now)
        return SyncRecord.Action.UPDATED, row.id, ""

    values = activation.model_values(kind, change.data)
    action = SyncRecord.Action.UPDATED
    if row is None and change.change == Change.NEW:
        row = _natural_match(tenant, change, links)
        action = SyncRecord.Action.LINKED
        if row is None:
            row = model.objects.create(tenant=tenant, **values)
            action = SyncRecord.Action.CREATED
    if row is None:
        return SyncRecord.Action.FAILED, change.local_id, _("Finnes ikke her lenger.")
    if action != SyncRecord.Action.CREATED:
        # As Ferdigstill: an empty value in Tripletex never blanks one we have.
        changed = [f for f, v in values.items() if v not in ("", None) and getattr(row, f) != v]
        for f in changed:
            setattr(row, f, values[f])
        if changed:
            row.save(update_fields=[*changed, "updated_at"])
    if change.change == Change.CLOSED:
        _close(kind, row)
    if link is None:
        Link.objects.create(tenant=tenant, tripletex_company_id=change.tripletex_company_id, kind=link_kind,
                            local_id=row.id, tripletex_id=change.tripletex_id,
                            tripletex_version=change.tripletex_version)
    else:
        links.filter(id=link.id).update(tripletex_version=change.tripletex_version, missing_since=None,
                                        updated_at=now)
    return action, row.id, ""


def _close(kind: str, row) -> None:
    if kind == PROJECT and row.status == Project.Status.ACTIVE:
        row.status = Project.Status.COMPLETED
        row.save(update_fields=["status", "updated_at"])
    elif kind in (WAGE_TYPE, EMPLOYEE) and row.active:
        row.active = False
        row.save(update_fields=["active", "updated_at"])


def _natural_match(tenant: Tenant, change: RemoteChange, links):
    """Our unlinked row with the new object's number (or, for an employee, e-mail then number)."""
    model, data = activation.MODELS[change.kind], change.data
    rows = model.objects.filter(tenant=tenant).exclude(id__in=links.values("local_id")).order_by("id")
    if change.kind == EMPLOYEE:
        rows = rows.annotate(email_lower=Lower("email"))
        for q in (Q(email_lower=data["email"]) if data["email"] else None,
                  Q(employee_number=data["employee_number"]) if data["employee_number"] else None):
            if q is not None and (row := rows.filter(q).first()):
                return row
        return None
    if not data["number"]:
        return None
    if change.kind == PROJECT:
        rows = rows.filter(parent__isnull=True)
    return rows.filter(number=data["number"]).first()

