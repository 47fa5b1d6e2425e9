"""Seed 003's optional start-up copy ("oppstartssynkronisering"): Tripletex → here, once, when the admin asks.

What it takes, per kind the admin ticks: customers and suppliers (contact info, addresses, currency,
organisation number), products (number, name, prices; never stock: the seed lists stock among what is not
synchronised), payment terms (Tripletex keeps them on each customer, so they are the distinct terms its
customers have) and employees (each gets an e-mail inviting them to choose a password, see `startup_invite`).

Each object is matched before anything is created: its link first, then our row with the same number
(customer number, supplier number, product number) or, for employees, the same e-mail. A matched row takes
Tripletex's non-empty values (an empty field there never blanks one here) and is linked, so running the copy
again creates nothing. Objects Tripletex holds badly (no number, two with the same number) are logged one
by one and left out; nothing in Tripletex is written.

The run writes a page of objects per transaction under `ctx.hold()`: removing the integration or switching
the connector off half-way stops it at the next page (`RunStopped`), with what was copied kept and logged.
Rows are written directly, not through the commerce services, so nothing copied is queued to go back.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation

from django.db import DatabaseError, transaction
from django.db.models import Model
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop

from commerce.models import PaymentTerms, Product, Supplier
from commerce.money import VatCode
from hr.models import Customer, Employee
from tenants.models import Tenant, User

from ...models import Link, SyncRecord, SyncRun
from ...tripletex import TripletexClient, TripletexError
from .. import activation, registry
from ..base import RunStopped, SyncContext
from ..customer_import.inbound import FIELDS as CUSTOMER_FIELDS
from ..customer_import.inbound import customer_values
from ..runner import context, stopped_by, sync_run_finish
from .startup_invite import Invitation, employee_user_ensure, invitations_send

logger = logging.getLogger("integrations.connectors")

NAME = "inventory"
CUSTOMER, SUPPLIER, PRODUCT = Link.Kind.CUSTOMER, Link.Kind.SUPPLIER, Link.Kind.PRODUCT
PAYMENT_TERMS, EMPLOYEE = Link.Kind.PAYMENT_TERMS, Link.Kind.EMPLOYEE
# In the order they are copied and shown: payment terms before the customers that use them.
KINDS = (CUSTOMER, SUPPLIER, PRODUCT, PAYMENT_TERMS, EMPLOYEE)
ORDER = (PAYMENT_TERMS, CUSTOMER, SUPPLIER, PRODUCT, EMPLOYEE)
KIND_TITLES = {
    CUSTOMER: gettext_lazy("Kunder"), SUPPLIER: gettext_lazy("Leverandører"), PRODUCT: gettext_lazy("Varer"),
    PAYMENT_TERMS: gettext_lazy("Betalingsbetingelser"), EMPLOYEE: gettext_lazy("Ansatte"),
}
KIND_HINTS = {
    CUSTOMER: gettext_lazy("Kontaktinformasjon, adresser, valuta og organisasjonsnummer"),
    SUPPLIER: gettext_lazy("Kontaktinformasjon, adresser, valuta og organisasjonsnummer"),
    PRODUCT: gettext_lazy("Varenummer, navn og priser. Lagerbeholdning hentes ikke."),
    PAYMENT_TERMS: gettext_lazy("Betalingsfristene kundene dine har i Tripletex"),
    EMPLOYEE: gettext_lazy("Hver ansatt får en invitasjon på e-post med en lenke for å velge passord"),
}
IN = SyncRecord.Direction.FROM_TRIPLETEX
Action = SyncRecord.Action
# Objects written per transaction: small enough that the progress bar moves and a removal is seen soon.
PAGE = 25

# The rules, stored in Norwegian in the log and translated when it is shown.
RULE_COPIED = gettext_noop("Hentet fra Tripletex ved oppstartssynkronisering")
RULE_MATCHED_NUMBER = gettext_noop(
    "Fantes her fra før med samme nummer: koblet og oppdatert med Tripletex sine verdier")
RULE_MATCHED_EMAIL = gettext_noop("Fantes her fra før med samme e-post: koblet og oppdatert med Tripletex sine verdier")
RULE_MATCHED_DAYS = gettext_noop("Fantes her fra før med samme antall dager")
RULE_LINKED_BEFORE = gettext_noop(
    "Allerede koblet til dette objektet i Tripletex: oppdatert med Tripletex sine verdier")
RULE_MISSING_NUMBER = gettext_noop("Mangler nummer i Tripletex: ikke hentet")
RULE_DUPLICATE_NUMBER = gettext_noop("Samme nummer som et annet objekt i Tripletex: bare det første er hentet")
RULE_DUPLICATE_EMAIL = gettext_noop("Samme e-post som en annen ansatt i Tripletex: bare den første er hentet")
RULE_TAKEN = gettext_noop("Raden her med samme nummer er allerede koblet til et annet objekt i Tripletex: ikke hentet")
RULE_LINK_BROKEN = gettext_noop("Koblingen er brutt her: ikke hentet")
RULE_TERMS_NOT_DAYS = gettext_noop("Betalingsfrist som ikke er et antall dager kan ikke hentes")
RULE_EMPLOYEE_LEFT = gettext_noop("Har sluttet (arbeidsforholdet er avsluttet): ikke hentet")
RULE_FAILED = gettext_noop("Kunne ikke lagres her")
# Logged after the object itself, so the progress bar does not count it.
RULE_INVITE_FAILED = gettext_noop("Invitasjonen kunne ikke sendes")

SUPPLIER_FIELDS = ("id,version,supplierNumber,name,organizationNumber,email,phoneNumber,currency(code),"
                   "postalAddress(addressLine1,postalCode,city,country(isoAlpha2Code))")
PRODUCT_FIELDS = "id,version,number,name,priceExcludingVatCurrency,costExcludingVatCurrency,isInactive,vatType(number)"
EMPLOYEE_FIELDS = "id,version,firstName,lastName,email,employeeNumber,employments(startDate,endDate)"
TERMS_FIELDS = "invoicesDueIn,invoicesDueInType"
PATHS = {CUSTOMER: "/customer", SUPPLIER: "/supplier", PRODUCT: "/product", EMPLOYEE: "/employee"}


# --- reading Tripletex --------------------------------------------------------------------------------------

def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _fit(model: type[Model], values: dict) -> dict:
    """Tripletex allows longer texts than some of our columns: cut rather than fail the object."""
    out = {}
    for name, value in values.items():
        length = getattr(model._meta.get_field(name), "max_length", None)
        out[name] = value[:length] if isinstance(value, str) and length else value
    return out


def _money(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def terms_of(obj: dict) -> int | None:
    """A customer's payment term in days, or None when Tripletex counts it otherwise (months, a day of month)."""
    if obj.get("invoicesDueInType") in (None, "", "DAYS") and isinstance(obj.get("invoicesDueIn"), int):
        return max(0, obj["invoicesDueIn"])
    return None


def _supplier_values(obj: dict) -> dict:
    address = obj.get("postalAddress") or {}
    values = {
        "supplier_number": _text(obj.get("supplierNumber")), "name": _text(obj.get("name")),
        "org_number": "".join(_text(obj.get("organizationNumber")).split()), "email": _text(obj.get("email")),
        "phone": _text(obj.get("phoneNumber")), "address": _text(address.get("addressLine1")),
        "postal_code": _text(address.get("postalCode")), "city": _text(address.get("city")),
        "country": _text((address.get("country") or {}).get("isoAlpha2Code")).upper(),
        "currency": _text((obj.get("currency") or {}).get("code")).upper(),
    }
    return _fit(Supplier, values)


def _product_values(obj: dict) -> dict:
    values = {"number": _text(obj.get("number")), "name": _text(obj.get("name")),
              "active": not obj.get("isInactive")}
    for ours, theirs in (("sales_price", "priceExcludingVatCurrency"), ("cost_price", "costExcludingVatCurrency")):
        amount = _money(obj.get(theirs))
        if amount is not None:
            values[ours] = amount
    vat = _text((obj.get("vatType") or {}).get("number"))
    if vat in VatCode.values:
        values["vat_code"] = vat
    return _fit(Product, values)


def _customer_values(obj: dict) -> dict:
    values = customer_values(obj)
    if values.get("customer_number") == "0":
        values["customer_number"] = ""
    return values


def _employee_values(obj: dict) -> dict:
    return _fit(Employee, {
        "first_name": _text(obj.get("firstName")), "last_name": _text(obj.get("lastName")),
        "email": _text(obj.get("email")).lower(), "employee_number": _text(obj.get("employeeNumber")),
    })


@dataclasses.dataclass(frozen=True)
class Spec:
    """How one kind is read, matched and written."""

    kind: str
    model: type[Model]
    fields: str
    values: Callable[[dict], dict]
    # Our field a Tripletex object is matched on when no link exists, and whether an object without it is left out.
    key_field: str
    key_required: bool = True
    matched_rule: str = RULE_MATCHED_NUMBER
    duplicate_rule: str = RULE_DUPLICATE_NUMBER

    def key(self, obj_values: dict) -> str:
        return _text(obj_values.get(self.key_field)).lower()

    def label(self, values: dict) -> str:
        if self.kind == EMPLOYEE:
            return f"{values['first_name']} {values['last_name']}".strip() or values["email"]
        number = values.get(self.key_field) or ""
        return f"{number} {values.get('name', '')}".strip()

    def candidates(self, tenant: Tenant):
        rows = self.model.objects.filter(tenant=tenant)
        if self.model is Customer:
            rows = rows.exclude(status=Customer.Status.DELETED)  # a customer deleted here is not taken back
        return rows


SPECS = {
    CUSTOMER: Spec(CUSTOMER, Customer, CUSTOMER_FIELDS, _customer_values, "customer_number"),
    SUPPLIER: Spec(SUPPLIER, Supplier, SUPPLIER_FIELDS, _supplier_values, "supplier_number"),
    PRODUCT: Spec(PRODUCT, Product, PRODUCT_FIELDS, _product_values, "number"),
    EMPLOYEE: Spec(EMPLOYEE, Employee, EMPLOYEE_FIELDS, _employee_values, "email", key_required=False,
                   matched_rule=RULE_MATCHED_EMAIL, duplicate_rule=RULE_DUPLICATE_EMAIL),
}


def _count(client: TripletexClient, path: str) -> int:
    body = client.list_page(path, fields="id", count=1) or {}
    total = body.get("fullResultSize")
    return total if isinstance(total, int) else len(body.get("values") or ())


def _distinct_terms(customers: list[dict]) -> tuple[list[int], list[dict]]:
    """(the distinct terms in days, one customer for each distinct term that is not in days)."""
    days: set[int] = set()
    other: dict[tuple, dict] = {}
    for obj in customers:
        if obj.get("invoicesDueIn") is None and not obj.get("invoicesDueInType"):
            continue
        n = terms_of(obj)
        if n is None:
            other.setdefault((obj.get("invoicesDueIn"), obj.get("invoicesDueInType")), obj)
        else:
            days.add(n)
    return sorted(days), list(other.values())


def preview(client: TripletexClient) -> dict[str, int]:
    """How many of each kind the company's Tripletex holds: one small call per kind, all customers' terms."""
    counts = {kind: _count(client, PATHS[kind]) for kind in (CUSTOMER, SUPPLIER, PRODUCT, EMPLOYEE)}
    days, other = _distinct_terms(client.list_all("/customer", fields=TERMS_FIELDS))
    counts[PAYMENT_TERMS] = len(days) + len(other)
    return counts


# --- the run ------------------------------------------------------------------------------------------------

def startup_runs(*, tenant: Tenant):
    return SyncRun.objects.filter(tenant=tenant, kind=SyncRun.Kind.CONNECTOR, connector=NAME,
                                  trigger=SyncRun.Trigger.STARTUP)


def startup_execute(*, run: SyncRun) -> SyncRun:
    """Carry out a queued start-up copy. A redelivered task finds its run finished and does nothing."""
    if run.status != SyncRun.Status.RUNNING or run.finished_at is not None:
        return run
    connector = registry.get(NAME)
    ctx = context(tenant=run.tenant, connector=connector, run=run)
    if ctx is None:
        return sync_run_finish(run, error=_("Tripletex er ikke koblet til, eller integrasjonen er slått av."))
    kinds = [k for k in ORDER if k in (run.summary or {}).get("kinds", [])]
    try:
        read = _read(ctx, kinds)
        _set_summary(run, total=sum(len(objs) for objs in read.values()), phase="copy")
        for kind in kinds:
            if kind == PAYMENT_TERMS:
                _apply_terms(ctx, read[kind])
            else:
                _apply(ctx, SPECS[kind], read[kind])
    except RunStopped as exc:
        return sync_run_finish(run, error=exc.message)
    except TripletexError as exc:
        logger.warning("start-up copy failed for tenant %s: %s (request %s)", run.tenant_id, exc.message,
                       exc.request_id)
        return sync_run_finish(run, error=stopped_by(ctx.connection, exc))
    return sync_run_finish(run)


def _set_summary(run: SyncRun, **values) -> None:
    run.summary = {**(run.summary or {}), **values}
    SyncRun.objects.filter(pk=run.pk).update(summary=run.summary)


def _read(ctx: SyncContext, kinds: list[str]) -> dict[str, list]:
    """Every object of the chosen kinds, read before anything is written, so the progress bar knows its end."""
    read: dict[str, list] = {}
    customers = None
    for kind in kinds:
        if kind in (CUSTOMER, PAYMENT_TERMS):
            if customers is None:
                customers = ctx.client.list_all("/customer", fields=CUSTOMER_FIELDS, sorting="id")
            if kind == CUSTOMER:
                read[kind] = customers
            else:
                days, other = _distinct_terms(customers)
                read[kind] = [("days", n) for n in days] + [("other", obj) for obj in other]
        else:
            read[kind] = ctx.client.list_all(PATHS[kind], fields=SPECS[kind].fields, sorting="id")
    return read


def _pages(items: list) -> Iterator[list]:
    for start in range(0, len(items), PAGE):
        yield items[start:start + PAGE]


def _losers(spec: Spec, objects: list[dict]) -> dict[int, int]:
    """{Tripletex id: id of the first object with its key} for every later object with the same key."""
    first: dict[str, int] = {}
    losers: dict[int, int] = {}
    for obj in sorted(objects, key=lambda o: o["id"]):
        key = spec.key(spec.values(obj))
        if not key:
            continue
        if key in first:
            losers[obj["id"]] = first[key]
        else:
            first[key] = obj["id"]
    return losers


def _apply(ctx: SyncContext, spec: Spec, objects: list[dict]) -> None:
    losers = _losers(spec, objects)
    today = timezone.localdate()
    for page in _pages(objects):
        invitations: list[Invitation] = []
        with transaction.atomic():
            ctx.hold()
            ids = [o["id"] for o in page]
            all_links = Link.objects.filter(tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=spec.kind)
            links = {link.tripletex_id: link for link in all_links.filter(tripletex_id__in=ids)}
            rows = spec.model.objects.filter(tenant=ctx.tenant).in_bulk([link.local_id for link in links.values()])
            keys = {spec.key(spec.values(o)) for o in page} - {""}
            by_key: dict[str, Model] = {}
            candidates = spec.candidates(ctx.tenant).annotate(_key=Lower(spec.key_field)).filter(_key__in=keys)
            for row in candidates.order_by("id"):
                by_key.setdefault(row._key, row)
            # Our rows with a page's keys that are linked already, and to which Tripletex object.
            linked_to = dict(all_links.filter(local_id__in=[row.id for row in by_key.values()])
                             .values_list("local_id", "tripletex_id"))
            for obj in page:
                values = spec.values(obj)
                label = spec.label(values)
                tid = obj["id"]

                def log(action, rule, message="", local_id=None, *, label=label, tid=tid):
                    ctx.record(kind=spec.kind, action=action, direction=IN, local_id=local_id, tripletex_id=tid,
                               label=label, rule=rule, message=message)

                key = spec.key(values)
                if spec.key_required and not key:
                    log(Action.SKIPPED, RULE_MISSING_NUMBER)
                    continue
                if tid in losers:
                    log(Action.SKIPPED, spec.duplicate_rule,
                        _("Tripletex-id %(first)s har samme verdi og er hentet.") % {"first": losers[tid]})
                    continue
                if spec.kind == EMPLOYEE and activation._has_left(obj.get("employments") or [], today):
                    log(Action.SKIPPED, RULE_EMPLOYEE_LEFT)
                    continue
                link = links.get(tid)
                if link is not None and link.state == Link.State.BROKEN:
                    log(Action.SKIPPED, RULE_LINK_BROKEN, local_id=link.local_id)
                    continue
                row = rows.get(link.local_id) if link is not None else None
                rule = RULE_LINKED_BEFORE
                if row is None and key:
                    row = by_key.get(key)
                    if row is not None and linked_to.get(row.id, tid) != tid:
                        log(Action.SKIPPED, RULE_TAKEN, local_id=row.id)
                        continue
                    rule = spec.matched_rule
                try:
                    with transaction.atomic():
                        action, row, message = _write(ctx, spec, row, values, link, obj, rule)
                        if spec.kind == EMPLOYEE:
                            invitation, note = employee_user_ensure(tenant=ctx.tenant, employee=row)
                            message = " ".join(m for m in (message, note) if m)
                            if invitation is not None:
                                invitations.append(invitation)
                except DatabaseError as exc:  # a constraint of ours the values break (IntegrityError is one)
                    logger.warning("start-up copy: %s %s not saved for tenant %s: %s", spec.kind, tid,
                                   ctx.tenant.id, exc)
                    log(Action.FAILED, RULE_FAILED, _("Databasen godtok ikke verdiene (for eksempel et nummer som "
                                                      "allerede er i bruk her)."))
                    continue
                log(action, RULE_COPIED if action == Action.CREATED else rule, message, row.id)
        # After the commit: an e-mail cannot be taken back, so it goes only for what is saved.
        for failed in invitations_send(invitations):
            ctx.record(kind=EMPLOYEE, action=Action.FAILED, direction=IN, local_id=failed.employee_id,
                       label=failed.label, rule=RULE_INVITE_FAILED, message=failed.error)


def _write(ctx: SyncContext, spec: Spec, row: Model | None, values: dict, link: Link | None, obj: dict,
           rule: str) -> tuple[str, Model, str]:
    """Create or fill our row, link it; (action, row, a note for the log)."""
    message = ""
    if spec.kind == EMPLOYEE and values["employee_number"]:
        taken = Employee.objects.filter(tenant=ctx.tenant, employee_number=values["employee_number"])
        if row is not None:
            taken = taken.exclude(id=row.id)
        if taken.exists():
            values = {**values, "employee_number": ""}
            message = _("Ansattnummeret er i bruk av en annen ansatt her, så det er ikke tatt med.")
    if row is None:
        row = spec.model(tenant=ctx.tenant, **{k: v for k, v in values.items() if v not in ("", None)})
        row.save()
        action = Action.CREATED
    else:
        changed = []
        for field, value in values.items():
            if value in ("", None) or getattr(row, field) == value:
                continue
            setattr(row, field, value)
            changed.append(field)
        if changed:
            row.save(update_fields=[*changed, "updated_at"])
        action = Action.UPDATED if changed else (Action.LINKED if link is None else Action.UNCHANGED)
    now = timezone.now()
    if link is None:
        Link.objects.create(tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=spec.kind, local_id=row.id,
                            tripletex_id=obj["id"], tripletex_version=obj.get("version"), synced_at=now)
    else:
        Link.objects.filter(pk=link.pk).update(local_id=row.id, state=Link.State.LINKED, missing_since=None,
                                               tripletex_version=obj.get("version"), synced_at=now, updated_at=now)
    return action, row, message


def _apply_terms(ctx: SyncContext, items: list[tuple[str, object]]) -> None:
    """Payment terms have no id of their own in Tripletex: each distinct term is matched here by its days."""
    for page in _pages(items):
        with transaction.atomic():
            ctx.hold()
            existing = {t.days: t for t in PaymentTerms.objects.filter(tenant=ctx.tenant)}
            for what, item in page:
                if what == "other":
                    label = f"{item.get('invoicesDueIn')} {item.get('invoicesDueInType')}"
                    ctx.record(kind=PAYMENT_TERMS, action=Action.SKIPPED, direction=IN, label=label,
                               rule=RULE_TERMS_NOT_DAYS)
                    continue
                days = int(item)
                terms = existing.get(days)
                if terms is None:
                    terms = PaymentTerms.objects.create(tenant=ctx.tenant, days=days,
                                                        name=_("%(days)s dager netto") % {"days": days})
                    action, rule = Action.CREATED, RULE_COPIED
                else:
                    action, rule = Action.UNCHANGED, RULE_MATCHED_DAYS
                ctx.record(kind=PAYMENT_TERMS, action=action, direction=IN, local_id=terms.id, label=terms.name,
                           rule=rule)


# --- what the pages read ------------------------------------------------------------------------------------

def progress(run: SyncRun) -> dict:
    """{done, total, percent, phase} for the progress bar, counted from the run's log."""
    summary = run.summary or {}
    total = summary.get("total")
    done = run.records.exclude(rule=RULE_INVITE_FAILED).count()
    if total:
        done = min(done, total)
        percent = int(done * 100 / total)
    else:
        percent = 0
    return {"done": done, "total": total, "percent": 100 if run.finished_at else percent,
            "phase": summary.get("phase", "read")}


def last_startup_run(*, tenant: Tenant) -> SyncRun | None:
    return startup_runs(tenant=tenant).order_by("-created_at", "-id").first()


def startup_done(*, tenant: Tenant) -> bool:
    """A copy finished (with or without a failed object): the card stops offering it."""
    return startup_runs(tenant=tenant).filter(
        status__in=(SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL)).exists()



# --- asking for a run ---------------------------------------------------------------------------------------

@transaction.atomic
def startup_request(*, tenant: Tenant, kinds: list[str], by: User | None) -> SyncRun:
    """"Start oppstartssynkronisering": a run queued for the kinds chosen, or the one already going."""
    from ...models import Connection, ConnectorConfig
    from ..selectors import RUN_STALE_AFTER
    from ..services import ActionRefused

    config = ConnectorConfig.objects.select_for_update().filter(tenant=tenant, name=NAME).first()
    connection = Connection.objects.filter(tenant=tenant).first()
    if connection is None or not connection.is_active:
        raise ActionRefused(_("Tripletex er ikke koblet til. Koble til Tripletex først."))
    if config is None or not config.enabled:
        raise ActionRefused(_("Slå på «%(title)s» før du henter data fra Tripletex.")
                            % {"title": registry.get(NAME).title})
    chosen = [k for k in ORDER if k in kinds]
    if not chosen:
        raise ActionRefused(_("Velg minst én type data å hente."))
    going = startup_runs(tenant=tenant).filter(
        status=SyncRun.Status.RUNNING, created_at__gt=timezone.now() - RUN_STALE_AFTER).first()
    if going is not None:
        return going
    run = SyncRun.objects.create(tenant=tenant, kind=SyncRun.Kind.CONNECTOR, connector=NAME,
                                 trigger=SyncRun.Trigger.STARTUP, started_by=by,
                                 summary={"kinds": chosen, "phase": "read"})
    transaction.on_commit(lambda: _enqueue(run_id=run.id), robust=True)
    return run


def _enqueue(*, run_id: int) -> None:
    from ...tasks import inventory_startup

    inventory_startup.delay(run_id=run_id)
