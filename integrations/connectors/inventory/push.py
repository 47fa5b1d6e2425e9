"""From here to Tripletex at once (seed 003): a product, bundle, customer or supplier created or changed here.

Exactly once: every row is linked by its number. A row without a link is first looked up in Tripletex by
that number (the numbers of all rows waiting in the outbox at once, one call per kind), so a record that
is already there (made by hand, or by our own create whose answer was lost) is linked, never duplicated.
A record we did not make is not overwritten when it is linked; from then on only the fields changed here
are sent, with the version last read, so a field changed in Tripletex meanwhile stays as it is there.
"""
from __future__ import annotations

from django.db import IntegrityError, transaction

from hr.models import Customer

from ...models import Link, OutboundChange, SyncRecord
from ...tripletex import Conflict, NotFound, RateLimited, TripletexError, Unauthorized
from ..base import SyncContext
from ..runner import IN_DOUBT
from . import rules
from .rules import CUSTOMER, PRODUCT, SUPPLIER

Action = SyncRecord.Action
OUT = SyncRecord.Direction.TO_TRIPLETEX
PUSHED_KINDS = (PRODUCT, SUPPLIER, CUSTOMER)
# Numbers looked up in one call when the run meets the first unlinked row of a kind.
LOOKUP_BATCH = 100


class _Log:
    def __init__(self, ctx: SyncContext, kind: str, local_id: int, label: str, tripletex_id: int | None = None):
        self.ctx, self.kind, self.local_id, self.label, self.tripletex_id = ctx, kind, local_id, label, tripletex_id

    def __call__(self, action: str, *, rule="", message: str = "", request_id: str = "") -> None:
        self.ctx.record(kind=self.kind, action=action, direction=OUT, local_id=self.local_id,
                        tripletex_id=self.tripletex_id, label=self.label, rule=rule, message=message,
                        request_id=request_id)

    def failure(self, exc: TripletexError) -> None:
        fields = "; ".join(f"{f}: {m}" if f else m for f, m in exc.validation.items())
        self(Action.FAILED, message=f"{exc.message} ({fields})" if fields else exc.message,
             request_id=exc.request_id or "")


def _row(ctx: SyncContext, kind: str, local_id: int):
    model = Customer if kind == CUSTOMER else rules.MODELS[kind]
    return model.objects.filter(tenant=ctx.tenant, id=local_id).first()


def handle_local_change(ctx: SyncContext, change: OutboundChange) -> None:
    kind = change.kind
    row = _row(ctx, kind, change.local_id)
    link = _link(ctx, kind, change.local_id)
    if row is None or change.op == OutboundChange.Op.DELETE or (
            kind == CUSTOMER and row.status == Customer.Status.DELETED):
        label = rules.label(kind, row) if row is not None else str(change.snapshot.get("label") or "")
        _Log(ctx, kind, change.local_id, label, link.tripletex_id if link else None)(
            Action.SKIPPED, rule=rules.DELETED_HERE)
        return
    log = _Log(ctx, kind, row.id, rules.label(kind, row), link.tripletex_id if link else None)
    try:
        _send(ctx, kind, row, link, log)
    except (RateLimited, Unauthorized):
        raise  # not the row's failure: the platform sends it again after the reset, or with a new key
    except TripletexError as exc:
        log.failure(exc)
        exc.logged = True
        raise


def _send(ctx: SyncContext, kind: str, row, link: Link | None, log: _Log) -> None:
    if link is not None and link.state != Link.State.LINKED:
        log(Action.SKIPPED, rule=rules.GONE_IN_TRIPLETEX if link.state == Link.State.GONE else
            rules.md_rules.CUSTOMER_LINK_BROKEN)
        return
    skip = rules.skip_rule(kind, row)
    if skip:
        log(Action.SKIPPED, rule=skip)
        return
    values = rules.local_values(kind, row)
    bundle_rule = rules.BUNDLE_AS_PRODUCT if kind == PRODUCT and values["description"] else ""
    if link is None:
        _link_or_create(ctx, kind, row, values, log, bundle_rule)
        return
    changed = {f for f, v in values.items() if link.synced_values.get(f, _MISSING) != v}
    if not changed:
        log(Action.UNCHANGED)
        return
    obj = _update(ctx, kind, link, values, changed)
    if obj is None:
        log(Action.SKIPPED, rule=rules.GONE_IN_TRIPLETEX)
        return
    with transaction.atomic():
        _agree(link, values, obj)
        log(Action.UPDATED, rule=bundle_rule or rules.ONLY_CHANGED_FIELDS)


_MISSING = object()


def _link_or_create(ctx: SyncContext, kind: str, row, values: dict, log: _Log, bundle_rule) -> None:
    number = rules.number_of(kind, values)
    found = _find(ctx, kind, number)
    if found is not None:
        log.tripletex_id = found["id"]
        if Link.objects.filter(tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=kind,
                               tripletex_id=found["id"]).exclude(local_id=row.id).exists():
            log(Action.SKIPPED, rule=rules.ALREADY_LINKED)
            return
        if _in_doubt(ctx, kind, row.id):
            # Our own create, whose answer was lost: it carries what we sent then; send what changed since.
            link = _link_new(ctx, kind, row, found, agreed={})
            obj = _update(ctx, kind, link, values, set(values) - {"number", "supplier_number", "customer_number"})
            _agree(link, values, obj or found)
            log(Action.UPDATED, rule=rules.FOUND_AFTER_DOUBT)
            return
        # Someone else's record: linked as it is; our values then are the baseline later edits are sent from.
        _link_new(ctx, kind, row, found, agreed=values)
        log(Action.LINKED, rule=rules.LINKED_EXISTING)
        return
    body = rules.to_tripletex(kind, values, vat_types=_vat_types(ctx) if kind == PRODUCT else {})
    body = {k: v for k, v in body.items() if v != ""}
    if kind == CUSTOMER:
        address = {k: v for k, v in body.pop("postalAddress", {}).items() if v}
        if address:
            body["postalAddress"] = address
    _mark_in_doubt(ctx, kind, row.id)
    created = _create(ctx, kind, body)
    log.tripletex_id = created["id"]
    with transaction.atomic():  # one commit for the link and its log line
        _link_new(ctx, kind, row, created, agreed=values)
        log(Action.CREATED, rule=bundle_rule or rules.SENT_AT_ONCE)


def _create(ctx: SyncContext, kind: str, body: dict) -> dict:
    if kind == PRODUCT:
        return ctx.client.product_create(body)
    if kind == SUPPLIER:
        return ctx.client.supplier_create(body)
    return ctx.client.customer_create(body)


def _update(ctx: SyncContext, kind: str, link: Link, values: dict, changed: set[str]) -> dict | None:
    """PUT the changed fields with the version last read; a stale one is read again once. None: gone there."""
    body = rules.to_tripletex(kind, values, vat_types=_vat_types(ctx) if kind == PRODUCT else {}, fields=changed)
    if not body:
        return {"id": link.tripletex_id, "version": link.tripletex_version}
    update = {PRODUCT: ctx.client.product_update, SUPPLIER: ctx.client.supplier_update,
              CUSTOMER: ctx.client.customer_update}[kind]
    version = link.tripletex_version
    for attempt in (1, 2):
        try:
            if version is None:
                version = _read(ctx, kind, link.tripletex_id)["version"]
            return update(link.tripletex_id, body, version=version)
        except NotFound:
            link.state = Link.State.GONE
            link.save(update_fields=["state", "updated_at"])
            return None
        except Conflict:
            if attempt == 2:
                raise
            version = None  # changed in Tripletex since we last wrote it: our fields only, on its new version
    raise AssertionError("unreachable")


def _read(ctx: SyncContext, kind: str, tripletex_id: int) -> dict:
    get = {PRODUCT: ctx.client.product_get, SUPPLIER: ctx.client.supplier_get, CUSTOMER: ctx.client.customer_get}
    return get[kind](tripletex_id, fields="id,version")


# --- lookups by number, for every row of the kind waiting at once --------------------------------------------

def _find(ctx: SyncContext, kind: str, number: str) -> dict | None:
    found = ctx.cache.setdefault(("found", kind), {})
    if number not in found:
        numbers = [number, *[n for n in _waiting_numbers(ctx, kind) if n not in found and n != number]]
        numbers = numbers[:LOOKUP_BATCH]
        for n in numbers:
            found[n] = None
        for obj in _lookup(ctx, kind, numbers):
            if rules.remote_number(kind, obj) in found:
                found[rules.remote_number(kind, obj)] = obj
    return found[number]


def _lookup(ctx: SyncContext, kind: str, numbers: list[str]) -> list[dict]:
    fields = rules.TRIPLETEX_FIELDS[kind]
    if kind == PRODUCT:
        return ctx.client.product_list(product_number=numbers, fields=fields)
    if kind == SUPPLIER:
        return ctx.client.supplier_list(params={"supplierNumber": ",".join(numbers)}, fields=fields)
    return ctx.client.customer_list(customer_numbers=[int(n) for n in numbers], fields=fields)


def _waiting_numbers(ctx: SyncContext, kind: str) -> list[str]:
    """The numbers of the unlinked rows of `kind` that wait in the outbox: looked up with the first of them."""
    waiting = OutboundChange.objects.filter(
        tenant=ctx.tenant, kind=kind, state__in=(OutboundChange.State.PENDING, OutboundChange.State.SENDING),
    ).exclude(local_id__in=Link.objects.filter(tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=kind)
              .values("local_id")).order_by("id").values_list("local_id", flat=True)[:LOOKUP_BATCH]
    model = Customer if kind == CUSTOMER else rules.MODELS[kind]
    field = {PRODUCT: "number", SUPPLIER: "supplier_number", CUSTOMER: "customer_number"}[kind]
    numbers = model.objects.filter(tenant=ctx.tenant, id__in=list(waiting)).values_list(field, flat=True)
    out = [n.strip() for n in numbers if n and n.strip()]
    if kind != PRODUCT:
        out = [n for n in out if n.isascii() and n.isdigit() and len(n) < 10]
    return out


def _vat_types(ctx: SyncContext) -> dict[str, int]:
    if "vat_types" not in ctx.cache:
        ctx.cache["vat_types"] = {str(v["number"]): v["id"] for v in ctx.client.vat_type_list(fields="id,number")}
    return ctx.cache["vat_types"]


# --- in doubt: a create sent whose answer we never stored ----------------------------------------------------

def _in_doubt(ctx: SyncContext, kind: str, local_id: int) -> bool:
    return OutboundChange.objects.filter(tenant=ctx.tenant, kind=kind, local_id=local_id, message=IN_DOUBT).exists()


def _mark_in_doubt(ctx: SyncContext, kind: str, local_id: int) -> None:
    # Committed before the create goes out: a worker killed while waiting for the answer leaves it behind.
    OutboundChange.objects.filter(tenant=ctx.tenant, kind=kind, local_id=local_id, state__in=(
        OutboundChange.State.SENDING, OutboundChange.State.PENDING)).update(message=IN_DOUBT)


# --- links ---------------------------------------------------------------------------------------------------

def _link(ctx: SyncContext, kind: str, local_id: int) -> Link | None:
    return Link.objects.filter(tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=kind,
                               local_id=local_id).first()


def _link_new(ctx: SyncContext, kind: str, row, obj: dict, *, agreed: dict) -> Link:
    from django.utils import timezone

    link = Link(tenant=ctx.tenant, kind=kind, local_id=row.id, tripletex_company_id=ctx.company_id,
                tripletex_id=obj["id"], tripletex_version=obj.get("version"), synced_values=agreed,
                synced_at=timezone.now())
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:
        link = _link(ctx, kind, row.id)  # a redelivered task linked it a moment ago: theirs stands
    return link


def _agree(link: Link, values: dict, obj: dict) -> None:
    from django.utils import timezone

    link.synced_values = values
    link.tripletex_version = obj.get("version", link.tripletex_version)
    link.synced_at = timezone.now()
    link.save(update_fields=["synced_values", "tripletex_version", "synced_at", "updated_at"])
