"""From here to Tripletex (seed 000): a project, customer or employee changed here is sent under the seed's rules.

A row without a link is first looked up in Tripletex by its natural key, so nothing is created twice (also
not after a create whose answer was lost); a linked row sends only the fields changed here since both sides
last agreed, and a field Tripletex changed meanwhile keeps Tripletex's value.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from hr.models import Customer, Employee, Project

from ...models import Link, OutboundChange, SyncRecord
from ...tripletex import Conflict, NotFound, RateLimited, TripletexError, Unauthorized, ValidationFailed
from ..base import SyncContext
from . import rules
from .local import MODELS, employee_number_next, link_for_local, link_for_remote, row_get, values_apply
from .rules import CUSTOMER, EMPLOYEE, PROJECT

Action = SyncRecord.Action
OUT, IN = SyncRecord.Direction.TO_TRIPLETEX, SyncRecord.Direction.FROM_TRIPLETEX

# Our synced field → the key of Tripletex's body that carries it.
BODY_KEYS = {
    PROJECT: {"number": "number", "name": "name", "start_date": "startDate", "end_date": "endDate",
              "is_internal": "isInternal", "closed": "isClosed"},
    CUSTOMER: {"customer_number": "customerNumber", "name": "name", "org_number": "organizationNumber",
               "email": "email", "phone": "phoneNumber", "address": "postalAddress",
               "postal_code": "postalAddress", "city": "postalAddress", "inactive": "isInactive"},
    EMPLOYEE: {"first_name": "firstName", "last_name": "lastName", "email": "email",
               "employee_number": "employeeNumber"},
}

# An employee we create gets no Tripletex login: a user type with access would send them an invitation
# to confirm their e-mail, which the admin did not ask for.
EMPLOYEE_USER_TYPE = "NO_ACCESS"

GONE_RULES = {
    PROJECT: rules.PROJECT_DELETED_IN_TRIPLETEX,
    CUSTOMER: rules.CUSTOMER_DELETED_IN_TRIPLETEX,
    EMPLOYEE: rules.EMPLOYEE_DELETED_IN_TRIPLETEX,
}
DELETED_HERE_RULES = {
    PROJECT: rules.PROJECT_DELETED_HERE,
    CUSTOMER: rules.CUSTOMER_DELETED_HERE,
    EMPLOYEE: rules.EMPLOYEE_DELETED_HERE,
}


class _Log:
    """The one record a change gets, with what is known of the object so far."""

    def __init__(self, ctx: SyncContext, kind: str, local_id: int, label: str, tripletex_id: int | None = None):
        self.ctx, self.kind, self.local_id, self.label, self.tripletex_id = ctx, kind, local_id, label, tripletex_id

    def __call__(self, action: str, *, rule="", message: str = "", direction: str = OUT) -> None:
        self.ctx.record(kind=self.kind, action=action, direction=direction, local_id=self.local_id,
                        tripletex_id=self.tripletex_id, label=self.label, rule=rule, message=message)

    def failure(self, exc: TripletexError) -> None:
        fields = "; ".join(f"{f}: {m}" if f else m for f, m in exc.validation.items())
        message = f"{exc.message} ({fields})" if fields else exc.message
        self.ctx.record(kind=self.kind, action=Action.FAILED, direction=OUT, local_id=self.local_id,
                        tripletex_id=self.tripletex_id, label=self.label, message=message,
                        request_id=exc.request_id or "")


def handle_local_change(ctx: SyncContext, change: OutboundChange) -> None:
    kind = change.kind
    row = row_get(tenant=ctx.tenant, kind=kind, local_id=change.local_id)
    link = link_for_local(tenant=ctx.tenant, company_id=ctx.company_id, kind=kind, local_id=change.local_id)
    if change.op == OutboundChange.Op.DELETE or row is None or _deleted(kind, row):
        _deleted_here(ctx, change, row, link)
        return
    log = _Log(ctx, kind, row.id, rules.label(kind, rules.local_values(kind, row)),
               link.tripletex_id if link else None)
    try:
        _upsert(ctx, kind, row, link, log)
    except (RateLimited, Unauthorized):
        raise  # not the record's failure: the platform sends it again after the reset, or with a new key
    except TripletexError as exc:
        log.failure(exc)
        exc.logged = True
        raise


def _deleted(kind: str, row: Model) -> bool:
    return kind in (PROJECT, CUSTOMER) and row.status == row.Status.DELETED


def _deleted_here(ctx: SyncContext, change: OutboundChange, row: Model | None, link: Link | None) -> None:
    """Seed 000: nothing is deleted in Tripletex; a customer's link is cut so nothing flows either way."""
    kind = change.kind
    if row is not None:
        label = rules.label(kind, rules.local_values(kind, row))
    else:
        label = str(change.snapshot.get("label") or "")
    if kind == CUSTOMER and link is not None and link.state == Link.State.LINKED:
        link.state = Link.State.BROKEN
        link.save(update_fields=["state", "updated_at"])
    _Log(ctx, kind, change.local_id, label, link.tripletex_id if link else None)(
        Action.SKIPPED, rule=DELETED_HERE_RULES[kind])


def _upsert(ctx: SyncContext, kind: str, row: Model, link: Link | None, log: _Log) -> None:
    if link is not None and link.state == Link.State.BROKEN:
        log(Action.SKIPPED, rule=rules.CUSTOMER_LINK_BROKEN)
        return
    if link is not None and link.state == Link.State.GONE:
        log(Action.SKIPPED, rule=GONE_RULES[kind])
        return
    skip = _skip_rule(kind, row, link)
    if skip:
        log(Action.SKIPPED, rule=skip)
        return
    if link is None:
        _link_or_create(ctx, kind, row, log)
    else:
        _update_linked(ctx, kind, row, link, log)


def _skip_rule(kind: str, row: Model, link: Link | None) -> str:
    rule = rules.outbound_skip(kind, row)
    # Set inactive here while Tripletex still has it active: the seed says only Tripletex may do that.
    if rule == str(rules.CUSTOMER_INACTIVE) and link is not None and link.synced_values.get("inactive") is not True:
        return str(rules.CUSTOMER_CANNOT_SET_INACTIVE)
    return rule


# --- not linked: find by natural key, else create --------------------------------------------------------

def _link_or_create(ctx: SyncContext, kind: str, row: Model, log: _Log) -> None:
    local = rules.local_values(kind, row)
    found = _find(ctx, kind, local)
    if found is not None:
        _link_found(ctx, kind, row, found, log)
        return
    rule = ""
    if kind == EMPLOYEE and not local["employee_number"]:
        # Saved before the create is sent: if its answer is lost, the next attempt finds it by this number.
        _employee_number_give(ctx, row)
        local = rules.local_values(kind, row)
        rule = rules.EMPLOYEE_NUMBER_GENERATED
    try:
        created = _create(ctx, kind, _create_body(ctx, kind, row, local))
    except ValidationFailed:
        # Another worker created it a moment ago (the invoice connector needing the same new customer): found
        # by its key now, it is linked instead; otherwise the refusal is Tripletex's and stands.
        found = _find(ctx, kind, local)
        if found is None:
            raise
        _link_found(ctx, kind, row, found, log)
        return
    log.tripletex_id = created["id"]
    remote = {**local, **_filled_by_tripletex(kind, local, created)}
    taken = values_apply(row, kind, remote, fields={f for f in remote if remote[f] != local[f]})
    with transaction.atomic():
        if taken:
            row.save(update_fields=[*taken, "updated_at"])
        _link_save(kind, row, _link_new(ctx, kind, row, created["id"]), version=created.get("version"),
                   remote=remote)
    log(Action.CREATED, rule=rule)


def _find(ctx: SyncContext, kind: str, local: dict) -> dict | None:
    fields = rules.TRIPLETEX_FIELDS[kind]
    if kind == PROJECT:
        if local["number"]:
            hits = ctx.client.project_list(number=local["number"], fields=fields)
            return _first(kind, hits, number=local["number"])
        # Without a number, name and start date are the only key a lost create can be found again by.
        start = dt.date.fromisoformat(local["start_date"])
        hits = ctx.client.project_list(name=local["name"], start_date_from=start,
                                       start_date_to=start + dt.timedelta(days=1), fields=fields)
        return _first(kind, hits, name=local["name"], start_date=local["start_date"])
    if kind == CUSTOMER:
        number = int(local["customer_number"])
        hits = ctx.client.customer_list(customer_numbers=[number], fields=fields)
        return _first(kind, hits, customer_number=str(number))
    if local["email"]:
        # Tripletex matches e-mail by "containing": only the exact address is the same person.
        hits = ctx.client.employee_list(email=local["email"], fields=fields)
        found = _first(kind, hits, email=local["email"], employee_number=local["employee_number"])
        found = found or _first(kind, hits, email=local["email"])
        if found is not None:
            return found
    if local["employee_number"]:
        hits = ctx.client.employee_list(employee_number=local["employee_number"], fields=fields)
        return _first(kind, hits, employee_number=local["employee_number"])
    return None


def _first(kind: str, objects: list[dict], **wanted) -> dict | None:
    """The first object whose synced values are exactly `wanted` (Tripletex's filters may match more)."""
    for obj in objects:
        values = rules.remote_values(kind, obj)
        if all(values[f] == v for f, v in wanted.items()):
            return obj
    return None


def _link_found(ctx: SyncContext, kind: str, row: Model, obj: dict, log: _Log) -> None:
    """The same record on both sides, unlinked: link them and keep Tripletex's values (we never overwrite them)."""
    log.tripletex_id = obj["id"]
    if link_for_remote(tenant=ctx.tenant, company_id=ctx.company_id, kind=kind, tripletex_id=obj["id"]):
        log(Action.SKIPPED, rule=rules.ALREADY_LINKED)
        return
    remote = rules.remote_values(kind, obj)
    if kind == EMPLOYEE and remote["employee_number"] and Employee.objects.filter(
        tenant=ctx.tenant, employee_number=remote["employee_number"],
    ).exclude(id=row.id).exists():
        log(Action.FAILED, message=_("Ansattnummeret %(number)s fra Tripletex er allerede i bruk her.")
            % {"number": remote["employee_number"]})
        return
    # An empty value in Tripletex never blanks one we have (as in the wizard).
    taken = values_apply(row, kind, remote, fields={f for f, v in remote.items() if v not in ("", None)})
    if taken:
        row.save(update_fields=[*taken, "updated_at"])
    rule, version = rules.LINKED_BY_NUMBER, obj.get("version")
    if kind == EMPLOYEE and not remote["employee_number"]:
        if not row.employee_number:
            _employee_number_give(ctx, row)
        obj = ctx.client.employee_update(obj["id"], {"employeeNumber": row.employee_number}, version=version)
        remote, version = {**remote, "employee_number": row.employee_number}, obj.get("version")
        rule = rules.EMPLOYEE_NUMBER_GENERATED
    _link_save(kind, row, _link_new(ctx, kind, row, log.tripletex_id), version=version, remote=remote)
    log(Action.LINKED, rule=rule)


def _create_body(ctx: SyncContext, kind: str, row: Model, local: dict) -> dict:
    body = {k: v for k, v in rules.to_tripletex(kind, local).items() if v != ""}
    if kind == PROJECT:
        body["projectManager"] = {"id": _me(ctx)["employeeId"]}
        if row.customer_id:
            customer = link_for_local(tenant=ctx.tenant, company_id=ctx.company_id, kind=CUSTOMER,
                                      local_id=row.customer_id)
            if customer is not None and customer.state == Link.State.LINKED:
                body["customer"] = {"id": customer.tripletex_id}
    elif kind == CUSTOMER:
        address = {k: v for k, v in body.pop("postalAddress").items() if v}
        if address:
            body["postalAddress"] = address
    else:
        body["userType"] = EMPLOYEE_USER_TYPE
        department = (_me(ctx).get("employee") or {}).get("department") or {}
        if department.get("id"):
            body["department"] = {"id": department["id"]}
    return body


def _filled_by_tripletex(kind: str, local: dict, created: dict) -> dict:
    """Values Tripletex gave a new object where we sent none (a project's number)."""
    theirs = rules.remote_values(kind, created)
    return {f: theirs[f] for f, key in BODY_KEYS[kind].items()
            if local[f] in ("", None) and theirs[f] and not isinstance(created.get(key), dict)}


def _employee_number_give(ctx: SyncContext, row: Employee) -> None:
    """Seed 000: an employee without a number gets one, free here and in Tripletex, saved here first."""
    taken = [str(e.get("employeeNumber") or "") for e in ctx.client.employee_list(fields="employeeNumber")]
    highest = max((int(n) for n in taken if n.isascii() and n.isdigit() and len(n) < 18), default=0)
    row.employee_number = str(max(int(employee_number_next(tenant=ctx.tenant)), highest + 1))
    row.save(update_fields=["employee_number", "updated_at"])


def _me(ctx: SyncContext) -> dict:
    """The token's own employee: a new project's manager and a new employee's department. Read once per run."""
    if "who_am_i" not in ctx.cache:
        ctx.cache["who_am_i"] = ctx.client.who_am_i(fields="employeeId,employee(id,department(id))")
    return ctx.cache["who_am_i"]


# --- linked: send what changed here, keep what changed in Tripletex ---------------------------------------

def _update_linked(ctx: SyncContext, kind: str, row: Model, link: Link, log: _Log) -> None:
    local = rules.local_values(kind, row)
    needs_number = kind == EMPLOYEE and not local["employee_number"]
    # Nothing differs from what both sides last agreed: our own echo, or a save that changed nothing synced.
    # Not the local hash: taking in a Tripletex change hashes our row with any edit here not yet sent.
    if link.synced_values and not rules.changed_fields(local, link.synced_values) and not needs_number:
        log(Action.UNCHANGED)
        return
    rule = ""
    try:
        for attempt in (1, 2):
            obj = _read(ctx, kind, link.tripletex_id)
            remote = rules.remote_values(kind, obj)
            if needs_number and not row.employee_number:
                if remote["employee_number"]:
                    values_apply(row, kind, remote, fields={"employee_number"})
                    row.save(update_fields=["employee_number", "updated_at"])
                else:
                    _employee_number_give(ctx, row)
                    rule = rules.EMPLOYEE_NUMBER_GENERATED
                local = rules.local_values(kind, row)
            agreed = _agreed_before(link, obj, remote)
            here = {f for f in rules.changed_fields(local, agreed) if local[f] != remote[f]}
            # Without an agreed value, an empty one in Tripletex is not a change there: it never blanks ours.
            there = {f for f in rules.changed_fields(remote, agreed)
                     if local[f] != remote[f] and (f in agreed or remote[f] not in ("", None))}
            body, sent = _update_body(kind, local, here - there, obj)
            if not body:
                break
            try:
                obj = _update(ctx, kind, link.tripletex_id, body, version=obj["version"])
            except Conflict:
                if attempt == 2:
                    raise
                continue  # changed in Tripletex since we read it: read again and decide again
            remote = {**remote, **{f: local[f] for f in sent}}
            break
    except NotFound:
        _gone(ctx, kind, row, link, log)
        return
    taken = values_apply(row, kind, remote, fields=there)
    with transaction.atomic():
        if taken:
            row.save(update_fields=[*taken, "updated_at"])
        _link_save(kind, row, link, version=obj.get("version"), remote=remote)
    if here & there:
        rule = rules.BOTH_CHANGED_TRIPLETEX_WINS
    elif kind == PROJECT and "closed" in sent and local["closed"]:
        rule = rules.PROJECT_COMPLETED_HERE
    elif kind == CUSTOMER and "inactive" in sent:
        rule = rules.CUSTOMER_ACTIVE_HERE
    message = _fields_message(kind, sent, there)
    if sent:
        log(Action.UPDATED, rule=rule, message=message)
    elif there:
        log(Action.UPDATED, rule=rule, message=message, direction=IN)
    else:
        log(Action.UNCHANGED, rule=rule)


def _agreed_before(link: Link, obj: dict, remote: dict) -> dict:
    """What both sides held at the last sync. A link the wizard made has no such values: if Tripletex's
    version is still the one the wizard read, Tripletex is unchanged since, and every difference was made
    here; otherwise nothing is known, and a field that differs counts as changed on both sides."""
    if link.synced_values:
        return link.synced_values
    if link.tripletex_version is not None and obj.get("version") == link.tripletex_version:
        return remote
    return {}


def _update_body(kind: str, local: dict, fields: set[str], obj: dict) -> tuple[dict, set[str]]:
    """The changed fields as Tripletex's body, and which of them it carries: a customer's inactive flag is
    never sent (seed 000), nor an emptied date (Tripletex takes no null)."""
    full = rules.to_tripletex(kind, local)
    body, sent = {}, set()
    for f in fields:
        key = BODY_KEYS[kind][f]
        if key in full:
            body[key], sent = full[key], sent | {f}
    if "postalAddress" in body and (obj.get("postalAddress") or {}).get("id"):
        # Name the address object we change, so Tripletex updates it rather than making a new one.
        body["postalAddress"] = {**body["postalAddress"], "id": obj["postalAddress"]["id"]}
    return body, sent


def _gone(ctx: SyncContext, kind: str, row: Model, link: Link, log: _Log) -> None:
    """Deleted in Tripletex: never created again from here; our row follows the seed's matrix."""
    link.state = Link.State.GONE
    with transaction.atomic():
        link.save(update_fields=["state", "updated_at"])
        if kind == PROJECT and row.status == Project.Status.ACTIVE:
            row.status = Project.Status.COMPLETED
            row.save(update_fields=["status", "updated_at"])
        elif kind == CUSTOMER:
            row.status = Customer.Status.DELETED
            row.save(update_fields=["status", "updated_at"])
    log(Action.SKIPPED, rule=GONE_RULES[kind])


def _fields_message(kind: str, sent: set[str], taken: set[str]) -> str:
    parts = []
    if sent:
        parts.append(_("Sendt til Tripletex: %(fields)s.") % {"fields": _field_names(kind, sent)})
    if taken:
        parts.append(_("Tatt fra Tripletex: %(fields)s.") % {"fields": _field_names(kind, taken)})
    return " ".join(parts)


def _field_names(kind: str, fields: set[str]) -> str:
    model = MODELS[kind]
    names = set()
    for f in fields:
        name = "status" if f in ("closed", "inactive") else f
        names.add(str(model._meta.get_field(name).verbose_name))
    return ", ".join(sorted(names))


# --- both sides agree -------------------------------------------------------------------------------------

def _link_new(ctx: SyncContext, kind: str, row: Model, tripletex_id: int) -> Link:
    """A link in the connection's Tripletex company: a reconnect to another company never reuses it."""
    return Link(tenant=ctx.tenant, kind=kind, local_id=row.id, tripletex_company_id=ctx.company_id,
                tripletex_id=tripletex_id)


def _link_save(kind: str, row: Model, link: Link, *, version: int | None, remote: dict) -> None:
    """Record what both sides hold now. A field still different (one Tripletex takes no value for) keeps
    Tripletex's value as the agreed one, so it counts as changed here and goes with the next change."""
    local = rules.local_values(kind, row)
    rules.link_agree(link, values=dict(remote), local=local, remote=remote)
    link.state = Link.State.LINKED
    link.tripletex_version = version
    link.save()


# --- Tripletex, per kind ----------------------------------------------------------------------------------

def _read(ctx: SyncContext, kind: str, tripletex_id: int) -> dict:
    get = {PROJECT: ctx.client.project_get, CUSTOMER: ctx.client.customer_get,
           EMPLOYEE: ctx.client.employee_get}[kind]
    return get(tripletex_id, fields=rules.TRIPLETEX_FIELDS[kind])


def _create(ctx: SyncContext, kind: str, body: dict) -> dict:
    create = {PROJECT: ctx.client.project_create, CUSTOMER: ctx.client.customer_create,
              EMPLOYEE: ctx.client.employee_create}[kind]
    return create(body)


def _update(ctx: SyncContext, kind: str, tripletex_id: int, body: dict, *, version: int) -> dict:
    update = {PROJECT: ctx.client.project_update, CUSTOMER: ctx.client.customer_update,
              EMPLOYEE: ctx.client.employee_update}[kind]
    return update(tripletex_id, body, version=version)
