"""Tripletex → here for the two-way sync of projects, customers and employees (seed 000).

Webhook events and the reconcile share one path, `_Page`: a page of Tripletex objects is matched to our
links and rows with a few bulk reads and written with a few bulk writes, so a reconcile of thousands of
objects costs queries per page, not per object. Values go into our rows through `local.values_apply`,
never through the HR services, so nothing read from Tripletex is queued to go back.

What the reconcile remembers between runs is in `ConnectorConfig.digests` (the runner saves it only
when the run succeeds):
- `project`, `employee`: the `versionDigest` of the full list, sent back as If-None-Match (these lists
  have no change filter in Tripletex; 304 = nothing changed, nothing read);
- `<kind>:skipped`: {id: version} of objects a rule skips, so each is logged once per version, not
  nightly. For customers it holds every customer Tripletex has that is not linked here, which is what
  lets one small call tell whether any customer was deleted (`/customer` has `changedSince` for changes,
  nothing for deletions).
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator

from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import F, Model, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from hr.models import Customer, Employee, Project

from ...models import Link, SyncRecord
from ...tripletex import NotFound, TripletexError
from ..base import SyncContext, fields_hash
from . import local, rules
from .rules import CUSTOMER, EMPLOYEE, PROJECT

logger = logging.getLogger("integrations.connectors")

# Customers first, so a project new from Tripletex finds its customer already linked.
KINDS = (CUSTOMER, PROJECT, EMPLOYEE)
PATHS = {CUSTOMER: "/customer", PROJECT: "/project", EMPLOYEE: "/employee"}
# changedSince is asked from this long before the last successful run: clocks differ, and a change
# saved in Tripletex while that run read is caught by this one.
SAFETY_MARGIN = dt.timedelta(minutes=5)
# Ids per call when checking that objects missing from a list are really gone.
CONFIRM_BATCH = 100
IN = SyncRecord.Direction.FROM_TRIPLETEX
LINK_FIELDS = ["tripletex_version", "state", "local_hash", "remote_hash", "synced_values", "synced_at",
               "missing_since", "updated_at"]


# --- entry points ----------------------------------------------------------------------------------------

def handle_remote_change(ctx: SyncContext, kind: str, tripletex_id: int, event: str) -> None:
    """A webhook event: re-read the object (the event may be late, repeated or out of order) and apply it.

    The object as Tripletex has it now decides, not the event: a 404 is a deletion, and a `.delete` event
    for an object that can still be read is applied as what it is.
    """
    if kind not in KINDS:
        return
    try:
        obj = ctx.client.read(f"{PATHS[kind]}/{int(tripletex_id)}", fields=rules.TRIPLETEX_FIELDS[kind])
    except NotFound:
        _apply_gone(ctx, kind, [int(tripletex_id)], quiet=False)
        return
    # Quiet: most deliveries are the echo of our own write; an unchanged object is not worth a log line.
    _Page(ctx, kind, [obj], quiet=True).apply()


def reconcile(ctx: SyncContext) -> None:
    """Read what changed in Tripletex since the last successful run (everything on the first) and apply it."""
    since = ctx.config.watermark - SAFETY_MARGIN if ctx.config.watermark else None
    _reconcile_customers(ctx, since)
    for kind in (PROJECT, EMPLOYEE):
        _reconcile_listed(ctx, kind)


# --- reading lists ---------------------------------------------------------------------------------------

class _List:
    """One list read page by page. With a digest, the first page may answer 304: nothing changed, nothing read."""

    def __init__(self, ctx: SyncContext, path: str, *, fields: str, params: dict | None = None,
                 digest: str | None = None):
        self.ctx, self.path, self.fields, self.params, self.sent_digest = ctx, path, fields, params or {}, digest
        self.digest: str | None = None
        self.unchanged = False

    def pages(self) -> Iterator[list[dict]]:
        client = self.ctx.client
        size = client.page_size
        offset = 0
        while True:
            body = client.list_page(
                self.path, params=self.params, fields=self.fields, sorting="id", offset=offset, count=size,
                version_digest=self.sent_digest if offset == 0 else None,
            )
            if body is None:
                self.unchanged = True
                return
            if offset == 0:
                self.digest = body.get("versionDigest")
            values = list(body.get("values") or ())
            offset += len(values)
            if values:
                yield values
            total = body.get("fullResultSize")
            if len(values) < size or (isinstance(total, int) and offset >= total):
                return


def _reconcile_customers(ctx: SyncContext, since: dt.datetime | None) -> None:
    memory = _skip_memory(ctx, CUSTOMER)
    params = {"changedSince": since.astimezone(dt.UTC).replace(microsecond=0)} if since else {}
    ignored = 0
    seen: set[int] = set()
    for values in _List(ctx, PATHS[CUSTOMER], fields=rules.TRIPLETEX_FIELDS[CUSTOMER], params=params).pages():
        page = _Page(ctx, CUSTOMER, values, quiet=True, skip_memory=memory, since=since)
        page.apply()
        ignored += page.ignored
        seen.update(o["id"] for o in values)
    if ignored:
        # Tripletex has been seen to ignore changedSince: versions keep the result right, this says why it was slow.
        logger.warning("tenant %s: Tripletex returned %d customers unchanged since %s; changedSince looks ignored",
                       ctx.tenant.id, ignored, since.isoformat())
        ctx.run.summary = {**(ctx.run.summary or {}), "changed_since_ignored": ignored}

    # Deleted customers. Every customer Tripletex has is linked here or remembered as not linked, so when
    # Tripletex counts as many, none was deleted: one call, whatever the number of customers. Otherwise (or
    # when Tripletex's count is off: it is documented as not exact) the id list is read and compared.
    customers = Link.objects.filter(tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=CUSTOMER,
                                    state__in=(Link.State.LINKED, Link.State.BROKEN))
    if since is not None:
        body = ctx.client.list_page(PATHS[CUSTOMER], fields="id", count=1) or {}
        if body.get("fullResultSize") == customers.count() + len(memory):
            return
        seen = {o["id"] for values in _List(ctx, PATHS[CUSTOMER], fields="id").pages() for o in values}
    _find_gone(ctx, CUSTOMER, seen, states=(Link.State.LINKED, Link.State.BROKEN))
    linked = set(customers.values_list("tripletex_id", flat=True))
    for key in [k for k in memory if int(k) not in seen or int(k) in linked]:
        del memory[key]
    for tripletex_id in seen - linked:
        # Not linked and not skipped in a run that remembered it (a webhook's): known now, logged when it changes.
        memory.setdefault(str(tripletex_id), None)


def _reconcile_listed(ctx: SyncContext, kind: str) -> None:
    """Projects and employees have no change filter: the list's digest tells whether to read it at all."""
    memory = _skip_memory(ctx, kind)
    listing = _List(ctx, PATHS[kind], fields=rules.TRIPLETEX_FIELDS[kind], digest=ctx.config.digests.get(kind))
    seen: set[int] = set()
    failed = False
    for values in listing.pages():
        page = _Page(ctx, kind, values, quiet=True, skip_memory=memory)
        page.apply()
        failed |= page.failed
        seen.update(o["id"] for o in values)
    if listing.unchanged:
        return
    _find_gone(ctx, kind, seen)
    _prune(memory, seen)
    if failed:
        ctx.config.digests.pop(kind, None)  # read it again next time, so what failed is tried again
    else:
        ctx.config.digests[kind] = listing.digest


def _skip_memory(ctx: SyncContext, kind: str) -> dict:
    return ctx.config.digests.setdefault(f"{kind}:skipped", {})


def _prune(memory: dict, seen: set[int]) -> None:
    for key in [k for k in memory if int(k) not in seen]:
        del memory[key]


def _find_gone(ctx: SyncContext, kind: str, seen: set[int], *, states=(Link.State.LINKED,)) -> None:
    """Linked objects a full read did not return, confirmed gone by id (paging shifts when lists change)."""
    linked = Link.objects.filter(
        tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=kind, state__in=states,
    ).values_list("tripletex_id", flat=True)
    missing = [i for i in linked.iterator() if i not in seen]
    gone: list[int] = []
    for chunk in _chunks(missing, CONFIRM_BATCH):
        still = {o["id"] for o in ctx.client.list_all(PATHS[kind], params={"id": chunk}, fields="id")}
        gone += [i for i in chunk if i not in still]
    for chunk in _chunks(gone, 500):
        _apply_gone(ctx, kind, chunk, quiet=True)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- applying objects ------------------------------------------------------------------------------------

def _apply_gone(ctx: SyncContext, kind: str, tripletex_ids: list[int], *, quiet: bool) -> None:
    """Seed 000's matrices for objects deleted in Tripletex: project → completed, customer → deleted here."""
    model = local.MODELS[kind]
    now = timezone.now()
    records: list[SyncRecord] = []
    with transaction.atomic():
        ctx.hold()
        links = {link.tripletex_id: link for link in Link.objects.filter(
            tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=kind, tripletex_id__in=tripletex_ids)}
        rows = model.objects.filter(tenant=ctx.tenant).in_bulk([link.local_id for link in links.values()])
        changed_links, changed_rows = [], []

        def record(tripletex_id, action, *, link=None, row=None, rule="", message=""):
            records.append(SyncRecord(
                tenant=ctx.tenant, run=ctx.run, direction=IN, object_kind=kind, tripletex_id=tripletex_id,
                local_id=link.local_id if link else None, label=str(row or "")[:300], action=action,
                rule=str(rule)[:300], message=message,
            ))

        for tripletex_id in tripletex_ids:
            link = links.get(tripletex_id)
            if link is None or link.state == Link.State.GONE:
                if not quiet:
                    record(tripletex_id, SyncRecord.Action.UNCHANGED, link=link,
                           message=_("Slettet i Tripletex, men ikke koblet her: ingenting å gjøre."))
                continue
            row = rows.get(link.local_id)
            broken = link.state == Link.State.BROKEN
            link.state, link.synced_at, link.updated_at = Link.State.GONE, now, now
            changed_links.append(link)
            if broken:
                # Ours was deleted here and the link could not be restored any more: it ends.
                record(tripletex_id, SyncRecord.Action.SKIPPED, link=link, row=row, rule=rules.CUSTOMER_LINK_BROKEN)
                continue
            if row is None:
                record(tripletex_id, SyncRecord.Action.UNCHANGED, link=link,
                       message=_("Slettet i Tripletex; raden her finnes ikke lenger."))
            elif kind == PROJECT:
                action = SyncRecord.Action.UNCHANGED
                if row.status == Project.Status.ACTIVE:
                    row.status, action = Project.Status.COMPLETED, SyncRecord.Action.UPDATED
                    changed_rows.append(row)
                record(tripletex_id, action, link=link, row=row, rule=rules.PROJECT_DELETED_IN_TRIPLETEX)
            elif kind == CUSTOMER:
                action = SyncRecord.Action.UNCHANGED
                if row.status != Customer.Status.DELETED:
                    row.status, action = Customer.Status.DELETED, SyncRecord.Action.DELETED
                    changed_rows.append(row)
                record(tripletex_id, action, link=link, row=row, rule=rules.CUSTOMER_DELETED_IN_TRIPLETEX)
            else:
                record(tripletex_id, SyncRecord.Action.SKIPPED, link=link, row=row,
                       rule=rules.EMPLOYEE_DELETED_IN_TRIPLETEX)
        for row in changed_rows:
            row.updated_at = now
        if changed_rows:
            model.objects.bulk_update(changed_rows, ["status", "updated_at"])
        Link.objects.bulk_update(changed_links, ["state", "synced_at", "updated_at"])
        SyncRecord.objects.bulk_create(records)


class _Page:
    """Applies one page of Tripletex objects of one kind under seed 000's rules.

    `quiet` logs nothing for an object that did not change (the echo of our own write, a reconcile's re-read).
    """

    def __init__(self, ctx: SyncContext, kind: str, objects: list[dict], *, quiet: bool,
                 skip_memory: dict | None = None, since: dt.datetime | None = None):
        self.ctx, self.kind, self.objects = ctx, kind, objects
        self.quiet, self.skip_memory, self.since = quiet, skip_memory, since
        self.model: type[Model] = local.MODELS[kind]
        self.now = timezone.now()
        self.records: list[tuple[SyncRecord, Model | None]] = []
        self.new_rows: list[Model] = []
        self.new_links: list[tuple[Link, Model]] = []
        self.changed_rows: dict[int, Model] = {}
        self.row_fields: set[str] = set()
        self.changed_links: dict[int, Link] = {}
        self.write_backs: list[tuple[Link, Model, dict, str, SyncRecord]] = []
        self.failed = False
        # Objects changedSince should not have returned: unchanged since before `since`.
        self.ignored = 0

    def apply(self) -> None:
        with transaction.atomic():
            self.ctx.hold()
            self._load()
            for obj in self.objects:
                self._one(obj)
            self._write()
        self._write_back()

    # reads, in bulk

    def _load(self) -> None:
        ctx, kind = self.ctx, self.kind
        ids = [o["id"] for o in self.objects]
        self.links = {link.tripletex_id: link for link in Link.objects.filter(
            tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=kind, tripletex_id__in=ids)}
        self.rows = self.model.objects.filter(tenant=ctx.tenant).in_bulk(
            [link.local_id for link in self.links.values()])
        fresh = [rules.remote_values(kind, o) for o in self.objects
                 if o["id"] not in self.links and not rules.inbound_skip_new(kind, o)]
        self.by_key = self._candidates(fresh)
        self.taken: set[int] = set()
        if kind == EMPLOYEE:
            page_numbers = {n for o in self.objects if (n := _text(o.get("employeeNumber")))}
            # Who holds each number here: a local id, or an unsaved row made in this page.
            self.numbers: dict[str, object] = dict(Employee.objects.filter(
                tenant=ctx.tenant, employee_number__in=page_numbers).values_list("employee_number", "id"))
            self.page_numbers = page_numbers
            self.next_number: int | None = None
        if kind == PROJECT:
            customer_ids = {o["customer"]["id"] for o in self.objects if (o.get("customer") or {}).get("id")}
            self.customers = dict(Link.objects.filter(
                tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=CUSTOMER, state=Link.State.LINKED,
                tripletex_id__in=customer_ids).values_list("tripletex_id", "local_id")) if customer_ids else {}

    def _candidates(self, fresh: list[dict]) -> dict[str, Model]:
        """Our unlinked rows that share a natural key with a new Tripletex object, by key."""
        if not fresh:
            return {}
        ctx, kind = self.ctx, self.kind
        linked = Link.objects.filter(
            tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=kind).values("local_id")
        rows = self.model.objects.filter(tenant=ctx.tenant).exclude(id__in=linked)
        if kind == PROJECT:
            # Sub-projects here may repeat a main project's number; the main project is the match.
            rows = rows.filter(number__in={v["number"] for v in fresh if v["number"]}).order_by(
                F("parent").asc(nulls_first=True), "id")
        elif kind == CUSTOMER:
            rows = rows.filter(customer_number__in={v["customer_number"] for v in fresh if v["customer_number"]})
        else:
            emails = {v["email"] for v in fresh if v["email"]}
            numbers = {v["employee_number"] for v in fresh if v["employee_number"]}
            rows = rows.annotate(email_lower=Lower("email")).filter(
                Q(email_lower__in=emails) | Q(employee_number__in=numbers)).order_by("id")
        by_key: dict[str, Model] = {}
        for row in rows:
            for key in _keys(kind, rules.local_values(kind, row)):
                by_key.setdefault(key, row)
        return by_key

    def _match(self, values: dict) -> Model | None:
        for key in _keys(self.kind, values):
            row = self.by_key.get(key)
            if row is not None and row.pk not in self.taken:
                self.taken.add(row.pk)
                return row
        return None

    # deciding, one object at a time, in memory

    def _one(self, obj: dict) -> None:
        link = self.links.get(obj["id"])
        remote = rules.remote_values(self.kind, obj)
        if link is None:
            self._new(obj, remote)
        else:
            self._linked(obj, link, remote)

    def _linked(self, obj: dict, link: Link, remote: dict) -> None:
        kind, version = self.kind, obj.get("version")
        if link.state == Link.State.BROKEN:
            if self._not_newer(link, version):
                self._unchanged(obj, link, remote)
                return
            link.tripletex_version = version
            self._link_changed(link)
            self._record(obj, remote, SyncRecord.Action.SKIPPED, local_id=link.local_id,
                         rule=rules.CUSTOMER_LINK_BROKEN)
            return
        # Out of order or repeated: what we have is as new as this. A link never agreed on (made by the
        # wizard, before the two-way sync) is taken in once whatever its version.
        if link.synced_values and self._not_newer(link, version):
            self._unchanged(obj, link, remote)
            return
        row = self.rows.get(link.local_id)
        if row is None:
            self._record(obj, remote, SyncRecord.Action.SKIPPED, local_id=link.local_id,
                         message=_("Finnes ikke her lenger: endringen i Tripletex er ikke tatt inn."))
            return
        number_missing = kind == EMPLOYEE and not remote["employee_number"]
        if link.synced_values and fields_hash(remote) == link.remote_hash and not number_missing:
            # Our own write coming back, or a change to fields we do not sync.
            link.tripletex_version, link.state, link.missing_since = version, Link.State.LINKED, None
            self._link_changed(link)
            self._unchanged(obj, link, remote, row=row)
            return

        values = self._fit(remote)
        agreed = link.synced_values or {}
        before = rules.local_values(kind, row)
        theirs = rules.changed_fields(values, agreed)
        ours = rules.changed_fields(before, agreed)
        both = sorted(f for f in theirs & ours if before[f] != values[f])
        number = write_back = None
        if kind == EMPLOYEE:
            number, write_back, conflict = self._employee_number(row, values, take="employee_number" in theirs)
            if conflict:
                self._record(obj, remote, SyncRecord.Action.FAILED, local_id=row.pk, message=conflict)
                return
            theirs.discard("employee_number")
            if write_back:
                # Tripletex has no number, so ours stays and goes there: the number rule applies, not "Tripletex wins".
                both = [f for f in both if f != "employee_number"]
        changed = local.values_apply(row, kind, values, fields=theirs)
        if number is not None and row.employee_number != number:
            row.employee_number = number
            changed.append("employee_number")

        applied = [rule for rule in self._matrix_rules(theirs, changed, values)]
        if both:
            applied.append(rules.BOTH_CHANGED_TRIPLETEX_WINS)
        _agree(link, values=values, row=row, kind=kind, remote=remote)
        link.tripletex_version, link.state, link.missing_since = version, Link.State.LINKED, None
        self._link_changed(link)
        self._row_changed(row, changed)
        message = self._describe(changed, both, before, values)
        if write_back:
            self._defer_write_back(obj, remote, link, row, number, applied,
                                   SyncRecord.Action.UPDATED if changed else SyncRecord.Action.UNCHANGED, message)
        elif changed or applied or not self.quiet:
            action = SyncRecord.Action.UPDATED if changed else SyncRecord.Action.UNCHANGED
            self._record(obj, remote, action, row=row, rule=_rules_text(applied), message=message)

    def _new(self, obj: dict, remote: dict) -> None:
        kind, key = self.kind, str(obj["id"])
        skip = rules.inbound_skip_new(kind, obj)
        if skip:
            if self.skip_memory is None or self.skip_memory.get(key) != obj.get("version"):
                self._record(obj, remote, SyncRecord.Action.SKIPPED, rule=skip)
            if self.skip_memory is not None:
                self.skip_memory[key] = obj.get("version")
            return
        if self.skip_memory is not None:
            self.skip_memory.pop(key, None)
        values = self._fit(remote)
        row = self._match(values)
        link = Link(tenant=self.ctx.tenant, tripletex_company_id=self.ctx.company_id, kind=kind,
                    tripletex_id=obj["id"], tripletex_version=obj.get("version"))
        if row is not None and kind == CUSTOMER and row.status == Customer.Status.DELETED:
            # Seed 000: a customer deleted here takes no more changes from Tripletex.
            link.state = Link.State.BROKEN
            self.new_links.append((link, row))
            self._record(obj, remote, SyncRecord.Action.SKIPPED, row=row, rule=rules.CUSTOMER_LINK_BROKEN)
            return
        created = row is None
        if created:
            row = self.model(tenant=self.ctx.tenant)
        number = write_back = None
        if kind == EMPLOYEE:
            number, write_back, conflict = self._employee_number(row, values, take=True)
            if conflict:
                self._record(obj, remote, SyncRecord.Action.FAILED, local_id=row.pk, message=conflict)
                return
        before = None if created else rules.local_values(kind, row)
        fields = set(values) - ({"employee_number"} if kind == EMPLOYEE else set())
        changed = local.values_apply(row, kind, values, fields=fields)
        if number is not None and row.employee_number != number:
            row.employee_number = number
            changed.append("employee_number")
        if created and kind == PROJECT:
            row.customer_id = self.customers.get((obj.get("customer") or {}).get("id"))
        _agree(link, values=values, row=row, kind=kind, remote=remote)
        self.new_links.append((link, row))
        if created:
            self.new_rows.append(row)
            action, applied, message = SyncRecord.Action.CREATED, [], ""
        else:
            self._row_changed(row, changed)
            action, applied = SyncRecord.Action.LINKED, [rules.LINKED_BY_NUMBER]
            message = self._describe(changed, [], before, values)
        if write_back:
            self._defer_write_back(obj, remote, link, row, number, applied, action, message)
        else:
            self._record(obj, remote, action, row=row, rule=_rules_text(applied), message=message)

    def _matrix_rules(self, theirs: set[str], changed: list[str], values: dict) -> list:
        """Seed 000's status matrices that this change followed, named for the log."""
        if "status" not in changed:
            return []
        if self.kind == PROJECT and "closed" in theirs and values["closed"]:
            return [rules.PROJECT_CLOSED_IN_TRIPLETEX]
        if self.kind == CUSTOMER and "inactive" in theirs:
            return [rules.CUSTOMER_INACTIVE_IN_TRIPLETEX if values["inactive"] else rules.CUSTOMER_ACTIVE_IN_TRIPLETEX]
        return []

    def _employee_number(self, row: Model, values: dict, *, take: bool) -> tuple[str | None, bool, str]:
        """(the number our row gets or None to leave it, whether to write it back to Tripletex, a conflict).

        Seed 000: an employee without a number in Tripletex gets one here (ours, if our row has one) and
        Tripletex is given it too. A number Tripletex has is taken only when `take` (new, or changed there).
        """
        owner_key = row.pk if row.pk is not None else row
        wanted = values["employee_number"]
        write_back = not wanted
        if write_back:
            wanted = row.employee_number or self._generate_number()
        elif not take:
            return None, False, ""
        owner = self.numbers.get(wanted)
        if owner is not None and owner != owner_key:
            return None, False, _("Ansattnummeret %(number)s er allerede brukt av en annen ansatt her.") % {
                "number": wanted}
        self.numbers[wanted] = owner_key
        return wanted, write_back, ""

    def _generate_number(self) -> str:
        if self.next_number is None:
            self.next_number = int(local.employee_number_next(tenant=self.ctx.tenant))
        while str(self.next_number) in self.numbers or str(self.next_number) in self.page_numbers:
            self.next_number += 1
        number = str(self.next_number)
        self.next_number += 1
        return number

    def _not_newer(self, link: Link, version) -> bool:
        return link.tripletex_version is not None and version is not None and version <= link.tripletex_version

    def _unchanged(self, obj: dict, link: Link, remote: dict, *, row: Model | None = None) -> None:
        if self.since is not None and link.synced_at is not None and link.synced_at < self.since:
            self.ignored += 1
        if not self.quiet:
            self._record(obj, remote, SyncRecord.Action.UNCHANGED, local_id=link.local_id,
                         message=_("Ingen endringer siden sist (versjon %(version)s).") % {
                             "version": obj.get("version")})

    def _fit(self, values: dict) -> dict:
        """Tripletex's values cut to what our columns hold; the cut value is what both sides then agree on,
        so it is not sent back as a change of ours."""
        out = dict(values)
        for name, value in values.items():
            if not isinstance(value, str):
                continue
            try:
                max_length = self.model._meta.get_field(name).max_length
            except FieldDoesNotExist:
                continue
            if max_length:
                out[name] = value[:max_length]
        return out

    def _describe(self, changed: list[str], both: list[str], before: dict | None, values: dict) -> str:
        meta = self.model._meta
        parts = [str(meta.get_field(f).verbose_name) for f in sorted(set(changed))]
        text = _("Endret: %(fields)s.") % {"fields": ", ".join(parts)} if parts else ""
        if both and before is not None:
            lost = "; ".join(f"{_field_label(meta, f)}: «{before[f]}» → «{values[f]}»" for f in both)
            text = (text + " " + _("Endret begge steder; her var det: %(values)s.") % {"values": lost}).strip()
        return text

    # collecting writes

    def _row_changed(self, row: Model, fields: list[str]) -> None:
        if fields and row.pk is not None:
            self.changed_rows[row.pk] = row
            self.row_fields.update(fields)

    def _link_changed(self, link: Link) -> None:
        if link.pk is not None:
            link.updated_at = self.now
            self.changed_links[link.pk] = link

    def _record(self, obj: dict, remote: dict, action: str, *, row: Model | None = None, local_id: int | None = None,
                rule="", message: str = "") -> SyncRecord:
        record = SyncRecord(
            tenant=self.ctx.tenant, run=self.ctx.run, direction=IN, object_kind=self.kind,
            local_id=local_id if row is None else row.pk, tripletex_id=obj["id"],
            label=rules.label(self.kind, remote)[:300], action=action, rule=str(rule)[:300], message=message,
        )
        if action == SyncRecord.Action.FAILED:
            self.failed = True
        self.records.append((record, row))
        return record

    def _defer_write_back(self, obj, remote, link, row, number, applied, action, message) -> None:
        """The object's record waits for the write to Tripletex: it says failed if that fails."""
        record = SyncRecord(
            tenant=self.ctx.tenant, run=self.ctx.run, direction=IN, object_kind=self.kind, tripletex_id=obj["id"],
            label=rules.label(self.kind, remote)[:300], action=action,
            rule=_rules_text([*applied, rules.EMPLOYEE_NUMBER_GENERATED]), message=message,
        )
        self.write_backs.append((link, row, obj, number, record))

    def _write(self) -> None:
        self.model.objects.bulk_create(self.new_rows)
        for link, row in self.new_links:
            link.local_id = row.pk
        if self.changed_rows:
            rows = list(self.changed_rows.values())
            for row in rows:
                row.updated_at = self.now
            self.model.objects.bulk_update(rows, [*sorted(self.row_fields), "updated_at"], batch_size=500)
        Link.objects.bulk_create([link for link, _row in self.new_links])
        if self.changed_links:
            Link.objects.bulk_update(list(self.changed_links.values()), LINK_FIELDS, batch_size=500)
        for record, row in self.records:
            if row is not None:
                record.local_id = row.pk
        SyncRecord.objects.bulk_create([record for record, _row in self.records])

    def _write_back(self) -> None:
        """Seed 000: the employee number made here goes to Tripletex, with the version read."""
        for link, row, obj, number, record in self.write_backs:
            record.local_id = row.pk
            try:
                updated = self.ctx.client.employee_update(obj["id"], {"employeeNumber": number}, version=obj["version"])
            except TripletexError as exc:
                # Unknown version: the next read takes the object in again and tries once more.
                Link.objects.filter(pk=link.pk).update(tripletex_version=None, updated_at=timezone.now())
                record.action, record.message = SyncRecord.Action.FAILED, exc.message
                record.request_id = exc.request_id or ""
                self.failed = True
            else:
                remote = rules.remote_values(EMPLOYEE, updated)
                _agree(link, values=self._fit(remote), row=row, kind=EMPLOYEE, remote=remote)
                link.tripletex_version = updated.get("version", link.tripletex_version)
                link.save(update_fields=LINK_FIELDS)
            record.save()


def _agree(link: Link, *, values: dict, row: Model, kind: str, remote: dict) -> None:
    """Both sides now hold Tripletex's `values`, except fields changed only here, which stay for the outbound
    side to send (our hash is of our row as it is)."""
    rules.link_agree(link, values=values, local=rules.local_values(kind, row), remote=remote)


def _keys(kind: str, values: dict) -> Iterable[str]:
    """Natural keys, in the order they are trusted: project and customer number; employee e-mail, then number."""
    if kind == PROJECT and values["number"]:
        yield f"number:{values['number']}"
    elif kind == CUSTOMER and values["customer_number"]:
        yield f"number:{values['customer_number']}"
    elif kind == EMPLOYEE:
        if values["email"]:
            yield f"email:{values['email']}"
        if values["employee_number"]:
            yield f"number:{values['employee_number']}"


def _field_label(meta, name: str) -> str:
    field = {"closed": "status", "inactive": "status"}.get(name, name)
    return str(meta.get_field(field).verbose_name)


def _rules_text(applied: list) -> str:
    return "; ".join(str(rule) for rule in applied)


def _text(value) -> str:
    return "" if value is None else str(value).strip()
