"""Us → Tripletex (seed 002): a journal ("bunt") of issued invoices, each an invoiced order in Tripletex.

Per invoice: `POST /order` with its lines, then `POST /invoice` for that order; two calls. What the journal's
invoices refer to (customers by number, departments, projects, currencies, VAT types) is read once per
send with list calls, so the calls per invoice stay two whatever the journal's size.

Exactly once: each step is remembered as soon as Tripletex answers (the order on the invoice's link, then
the invoice), and `Invoice.journal_attempted_at` is committed before the order is created. A send after a
lost answer (a timeout, a killed worker) first looks the order up by its number and our invoice number
(`reference`), and the invoice by that order, and creates only what is not there.

The invoice carries our invoice number and KID: `POST /invoice` takes both (`PUT /order/{id}/:invoice`,
which this used before, takes neither). Tripletex's UI numbers invoices in its own series, so our number
may already be taken there; then Tripletex numbers this one and our KID stays, so payments still match.
Tripletex's number and KID are kept on the link and shown next to ours when they differ.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from commerce.models import Invoice, InvoiceJournal

from ...models import Link, SyncRecord, SyncRun
from ...tripletex import RateLimited, TripletexError
from ..base import SyncContext
from ..services import enabled_connectors
from . import rules

Action = SyncRecord.Action
OUT = SyncRecord.Direction.TO_TRIPLETEX
INVOICE = Link.Kind.INVOICE
# A send still going after this long belongs to a worker that died (and was not handed on): it may be sent again.
STUCK_AFTER = dt.timedelta(hours=1)


class Refused(Exception):
    def __init__(self, message: str, rule=""):
        super().__init__(message)
        self.message, self.rule = message, rule


def journal_send(ctx: SyncContext, journal: InvoiceJournal) -> None:
    """Send every invoice of the journal that is not in Tripletex yet; one log record per invoice."""
    invoices = list(Invoice.objects.filter(tenant=ctx.tenant, journal=journal, status=Invoice.Status.ISSUED)
                    .select_related("customer", "project", "credited_invoice").prefetch_related("lines")
                    .order_by("number"))
    links = {link.local_id: link for link in Link.objects.filter(
        tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=INVOICE, local_id__in=[i.id for i in invoices])}
    waiting = [i for i in invoices if not _done(links.get(i.id))]
    refs = _References(ctx, waiting) if waiting else None
    for invoice in invoices:
        link = links.get(invoice.id)
        if _done(link):
            _record(ctx, invoice, link, Action.UNCHANGED, rules.JOURNAL_ALREADY_THERE)
            continue
        try:
            _send(ctx, invoice, link, refs)
        except Refused as exc:
            _record(ctx, invoice, link, Action.FAILED, exc.rule, exc.message)
        except RateLimited as exc:
            _record(ctx, invoice, link, Action.FAILED, rules.JOURNAL_FAILED, _refusal_words(exc))
        except TripletexError as exc:
            from ...services import is_key_refusal

            if is_key_refusal(exc):
                raise
            message = _refusal_words(exc)
            _record(ctx, invoice, _link(ctx, invoice), Action.FAILED, rules.JOURNAL_FAILED, message,
                    request_id=exc.request_id or "")
            if _no_bank_account(exc):
                # The company's setting, not the invoice's: the rest would be refused the same way.
                ctx.cache["stop"] = message


def _done(link: Link | None) -> bool:
    # Invoiced as an order by this journal, or already in Tripletex as a voucher (seed 004's connector):
    # either way it is there, and sending it again would book the sale twice.
    return link is not None and (link.synced_values.get("invoice_id") or link.synced_values.get("attached"))


def _send(ctx: SyncContext, invoice: Invoice, link: Link | None, refs: _References) -> None:
    if ctx.cache.get("stop"):
        raise Refused(ctx.cache["stop"], rules.JOURNAL_FAILED)
    if invoice.is_credit_note:
        _credit_note_send(ctx, invoice, refs)
        return
    order_id = link.synced_values.get("order_id") if link else None
    body = _order_body(invoice, refs)
    rule = rules.JOURNAL_SENT
    if order_id is None and invoice.journal_attempted_at is not None:
        found = _order_find(ctx, invoice, body)
        if found is not None:
            # It may have been invoiced too before the answer was lost: looked up below.
            order_id, rule = found, rules.JOURNAL_FOUND_AFTER_DOUBT
            link = _link_save(ctx, invoice, order_id, {"order_id": order_id, "invoicing": True})
    if order_id is None:
        Invoice.objects.filter(pk=invoice.pk).update(journal_attempted_at=timezone.now())
        order_id = ctx.client.order_create(body)["id"]
        link = _link_save(ctx, invoice, order_id, {"order_id": order_id})
    if link.synced_values.get("invoicing"):
        found = _invoice_find(ctx, invoice, order_id, refs)
        if found is not None:
            _invoiced(ctx, invoice, link, found, rules.JOURNAL_FOUND_AFTER_DOUBT)
            return
    _link_values(link, invoicing=True)
    body = {"invoiceNumber": invoice.number, "invoiceDate": invoice.invoice_date.isoformat(),
            "invoiceDueDate": (invoice.due_date or invoice.invoice_date).isoformat(),
            "customer": {"id": refs.customers[invoice.customer.customer_number.strip()]},
            "orders": [{"id": order_id}]}
    if invoice.kid:
        body["kid"] = invoice.kid
    notes = []
    try:
        try:
            made = ctx.client.invoice_create(body)
        except TripletexError as exc:
            if not _number_taken(exc):
                raise
            notes.append(_("Fakturanummer %(ours)s var allerede brukt i Tripletex.") % {"ours": invoice.number})
            made = ctx.client.invoice_create({**body, "invoiceNumber": 0})
    except TripletexError as exc:
        if exc.permanent:
            _link_values(link, invoicing=False)  # refused, so not made: the next try need not look for it
        raise
    _invoiced(ctx, invoice, link, made, rule, notes)


def _credit_note_send(ctx: SyncContext, note: Invoice, refs: _References) -> None:
    """Tripletex's own credit note (`:createCreditNote`) of the invoice this journal invoiced, made once.

    The invoice's `isCredited` is read first: a credit note already there (ours after a lost answer, or one
    made by hand) is found by what it credits and linked, not made again. Tripletex numbers it.
    """
    credited = note.credited_invoice
    original = _link(ctx, credited)
    theirs = original.synced_values.get("invoice_id") if original else None
    if not theirs:
        raise Refused(_("Kreditnotaen krediterer faktura %(number)s, som ikke er fakturert i Tripletex. Send den "
                        "fakturaen i en bunt først og trykk «Prøv igjen».") % {"number": credited.number},
                      rules.JOURNAL_FAILED)
    rule = rules.JOURNAL_CREDIT_NOTE
    if ctx.client.invoice_get(theirs, fields="id,isCredited").get("isCredited"):
        made = _credit_note_find(ctx, note, theirs, refs)
        if made is None:
            raise Refused(_("Faktura %(number)s er kreditert i Tripletex, men kreditnotaen der ble ikke funnet. Se "
                            "etter den i Tripletex.") % {"number": credited.number}, rules.JOURNAL_FAILED)
        rule = rules.JOURNAL_FOUND_AFTER_DOUBT if note.journal_attempted_at else rules.JOURNAL_CREDITED_THERE
    else:
        Invoice.objects.filter(pk=note.pk).update(journal_attempted_at=timezone.now())
        made = ctx.client.invoice_credit_note_create(theirs, date=note.invoice_date, comment=str(note))
    link = _link_save(ctx, note, made["id"], {})
    _invoiced(ctx, note, link, made, rule)


def _credit_note_find(ctx: SyncContext, note: Invoice, theirs: int, refs: _References) -> dict | None:
    # One made by hand may carry any date from the invoice's on.
    found = ctx.client.invoice_search(
        invoice_date_from=note.credited_invoice.invoice_date,
        invoice_date_to=max(note.invoice_date, timezone.localdate()) + dt.timedelta(days=1),
        customer_id=refs.customers.get(note.customer.customer_number.strip()),
        fields="id,invoiceNumber,kid,creditedInvoice")
    return next((i for i in found if i.get("creditedInvoice") == theirs), None)


def _number_taken(exc: TripletexError) -> bool:
    # Tripletex refuses a number one of its invoices has with a validation message on that field.
    return exc.status == 422 and "invoiceNumber" in exc.validation


def _invoiced(ctx: SyncContext, invoice: Invoice, link: Link, made: dict, rule, notes=()) -> None:
    _link_values(link, invoicing=False, invoice_id=made.get("id"), invoice_number=str(made.get("invoiceNumber") or ""),
                 kid=str(made.get("kid") or ""))
    notes = list(notes)
    if link.synced_values["invoice_number"] and link.synced_values["invoice_number"] != str(invoice.number):
        notes.append(_("Tripletex ga fakturaen nummer %(theirs)s (vårt: %(ours)s).")
                     % {"theirs": link.synced_values["invoice_number"], "ours": invoice.number})
    if invoice.kid and link.synced_values["kid"] and link.synced_values["kid"] != invoice.kid:
        notes.append(_("KID i Tripletex: %(theirs)s (vår: %(ours)s).") % {"theirs": link.synced_values["kid"],
                                                                          "ours": invoice.kid})
    _record(ctx, invoice, link, Action.CREATED, rule, " ".join(notes))


# --- what the orders refer to, read once per send ---------------------------------------------------------

class _References:
    def __init__(self, ctx: SyncContext, invoices: list[Invoice]):
        numbers = sorted({int(i.customer.customer_number) for i in invoices
                          if i.customer.customer_number.isascii() and i.customer.customer_number.isdigit()})
        self.customers = {str(c["customerNumber"]): c["id"] for c in ctx.client.customer_list(
            customer_numbers=numbers, fields="id,customerNumber")} if numbers else {}
        self.departments = {}
        if any(i.department_number for i in invoices):
            self.departments = {str(d.get("departmentNumber")): d["id"] for d in ctx.client.list_all(
                "/department", fields="id,departmentNumber")}
        self.projects = {}
        if any(i.project_id for i in invoices):
            self.projects = {str(p.get("number")): p["id"] for p in ctx.client.project_list(fields="id,number")}
        self.currencies = {c["code"]: c["id"] for c in ctx.client.list_all("/currency", fields="id,code")}
        self.vat_types = {str(v["number"]): v["id"] for v in ctx.client.vat_type_list(fields="id,number")}


def _order_body(invoice: Invoice, refs: _References) -> dict:
    customer = refs.customers.get(invoice.customer.customer_number.strip())
    if customer is None:
        raise Refused(_("Kunde %(number)s «%(name)s» finnes ikke i Tripletex. Opprett den der (eller rett "
                        "kundenummeret her) og trykk «Prøv igjen».")
                      % {"number": invoice.customer.customer_number or "–", "name": invoice.customer.name},
                      rules.JOURNAL_MISSING)
    body = {
        "customer": {"id": customer},
        "number": invoice.order_number or str(invoice.number),
        "reference": str(invoice.number),
        "orderDate": (invoice.order_date or invoice.invoice_date).isoformat(),
        "deliveryDate": (invoice.delivery_date or invoice.invoice_date).isoformat(),
        "invoicesDueIn": max(0, ((invoice.due_date or invoice.invoice_date) - invoice.invoice_date).days),
        "invoicesDueInType": "DAYS",
        "invoiceComment": _("Faktura %(number)s") % {"number": invoice.number}
        + (f", KID {invoice.kid}" if invoice.kid else ""),
    }
    if invoice.department_number:
        department = refs.departments.get(invoice.department_number.strip())
        if department is None:
            raise Refused(_("Avdeling %(number)s finnes ikke i Tripletex. Opprett den der og trykk «Prøv igjen».")
                          % {"number": invoice.department_number}, rules.JOURNAL_MISSING)
        body["department"] = {"id": department}
    if invoice.project_id:
        project = refs.projects.get(invoice.project.number.strip()) if invoice.project.number else None
        if project is None:
            raise Refused(_("Prosjekt %(number)s «%(name)s» finnes ikke i Tripletex. Opprett det der og trykk "
                            "«Prøv igjen».") % {"number": invoice.project.number or "–", "name": invoice.project.name},
                          rules.JOURNAL_MISSING)
        body["project"] = {"id": project}
    currency = refs.currencies.get(invoice.currency.upper())
    if currency is None:
        raise Refused(_("Valutaen %(code)s finnes ikke i Tripletex.") % {"code": invoice.currency},
                      rules.JOURNAL_MISSING)
    body["currency"] = {"id": currency}
    lines = []
    for line in invoice.lines.all():
        vat_type = refs.vat_types.get(str(line.vat_code))
        if vat_type is None:
            raise Refused(_("Mva-koden %(code)s finnes ikke i Tripletex.") % {"code": line.vat_code},
                          rules.JOURNAL_MISSING)
        lines.append({"description": line.description, "count": float(line.quantity),
                      "unitPriceExcludingVatCurrency": float(line.unit_price), "vatType": {"id": vat_type}})
    body["orderLines"] = lines
    return body


# --- found again after a lost answer ------------------------------------------------------------------------

def _order_find(ctx: SyncContext, invoice: Invoice, body: dict) -> int | None:
    day = dt.date.fromisoformat(body["orderDate"])
    orders = ctx.client.order_list(order_date_from=day, order_date_to=day + dt.timedelta(days=1),
                                   number=body["number"], fields="id,number,reference")
    return next((o["id"] for o in orders if o.get("reference") == body["reference"]), None)


def _invoice_find(ctx: SyncContext, invoice: Invoice, order_id: int, refs: _References) -> dict | None:
    found = ctx.client.invoice_search(
        invoice_date_from=invoice.invoice_date, invoice_date_to=invoice.invoice_date + dt.timedelta(days=1),
        customer_id=refs.customers.get(invoice.customer.customer_number.strip()),
        fields="id,invoiceNumber,kid,orders(id)")
    return next((i for i in found if any(o.get("id") == order_id for o in i.get("orders") or ())), None)


# --- links and the log -------------------------------------------------------------------------------------

def _link(ctx: SyncContext, invoice: Invoice) -> Link | None:
    return Link.objects.filter(tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=INVOICE,
                               local_id=invoice.id).first()


def _link_save(ctx: SyncContext, invoice: Invoice, order_id: int, values: dict) -> Link:
    link, _created = Link.objects.update_or_create(
        tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=INVOICE, local_id=invoice.id,
        defaults={"tripletex_id": order_id, "synced_values": values, "synced_at": timezone.now()})
    return link


def _link_values(link: Link, **values) -> None:
    link.synced_values = {**link.synced_values, **values}
    link.save(update_fields=["synced_values", "updated_at"])


def _record(ctx: SyncContext, invoice: Invoice, link: Link | None, action: str, rule, message: str = "",
            request_id: str = "") -> None:
    ctx.record(kind=INVOICE, action=action, direction=OUT, local_id=invoice.id,
               tripletex_id=link.tripletex_id if link else None, label=str(invoice), rule=rule, message=message,
               request_id=request_id)


def _no_bank_account(exc: TripletexError) -> bool:
    text = f"{exc.message} {' '.join(exc.validation.values())} {exc.developer_message or ''}".lower()
    return "bankkonto" in text or "bank account" in text


def _refusal_words(exc: TripletexError) -> str:
    fields = "; ".join(f"{f}: {m}" if f else m for f, m in exc.validation.items())
    theirs = f"{exc.message} ({fields})" if fields and fields not in exc.message else exc.message
    if _no_bank_account(exc):
        hint = _("Selskapet har ikke registrert bankkonto i Tripletex, så Tripletex lager ikke fakturaer. Legg inn "
                 "bankkontonummeret i Tripletex og trykk «Prøv igjen».")
    elif not exc.permanent:
        hint = _("Tripletex svarte ikke som ventet. Trykk «Prøv igjen» om litt.")
    else:
        hint = _("Tripletex tok ikke imot fakturaen.")
    return _("%(hint)s Tripletex sier: %(theirs)s") % {"hint": hint, "theirs": theirs}


# --- the run -----------------------------------------------------------------------------------------------

def journal_run_execute(*, run: SyncRun, journal: InvoiceJournal) -> SyncRun:
    """Carry out a queued send of a journal; the journal's status follows the run's."""
    from ..runner import context, stopped_by, sync_run_finish
    from . import CONNECTOR

    if run.status != SyncRun.Status.RUNNING or run.finished_at is not None:
        return run  # a redelivered task: the run is done
    ctx = context(tenant=run.tenant, connector=CONNECTOR, run=run)
    if ctx is None:
        sync_run_finish(run, error=_("Tripletex er ikke koblet til, eller integrasjonen er slått av."))
    else:
        try:
            journal_send(ctx, journal)
        except TripletexError as exc:
            sync_run_finish(run, error=stopped_by(ctx.connection, exc))
        else:
            sync_run_finish(run)
    failed = run.status != SyncRun.Status.SUCCEEDED
    InvoiceJournal.objects.filter(pk=journal.pk).update(
        status=InvoiceJournal.Status.FAILED if failed else InvoiceJournal.Status.SENT)
    return run


@transaction.atomic
def journal_send_request(*, journal: InvoiceJournal, by=None, trigger: str = SyncRun.Trigger.MANUAL) -> SyncRun:
    """"Send" or "Prøv igjen" on a journal: a run, queued; invoices already in Tripletex are not sent again.

    Refused (`ActionRefused`) while Tripletex is not connected or the connector is off, or while it is being sent.
    """
    from ..services import ActionRefused
    from . import CONNECTOR, NAME

    journal = InvoiceJournal.objects.select_for_update().get(pk=journal.pk)
    if not any(c.name == NAME for c in enabled_connectors(tenant=journal.tenant)):
        raise ActionRefused(_("Bunten kan ikke sendes: slå på «%(title)s» under Integrasjoner (med Tripletex "
                              "koblet til) først.") % {"title": CONNECTOR.title})
    running = journal.run if journal.status == InvoiceJournal.Status.SENDING else None
    if running is not None and running.finished_at is None and running.created_at > timezone.now() - STUCK_AFTER:
        raise ActionRefused(_("Bunten sendes allerede."))
    run = SyncRun.objects.create(tenant=journal.tenant, kind=SyncRun.Kind.CONNECTOR, connector=NAME,
                                 trigger=trigger, started_by=by)
    InvoiceJournal.objects.filter(pk=journal.pk).update(status=InvoiceJournal.Status.SENDING, run=run)
    transaction.on_commit(lambda: _enqueue(run_id=run.id, journal_id=journal.id), robust=True)
    return run


def _enqueue(*, run_id: int, journal_id: int) -> None:
    from ...tasks import journal_send as task

    task.delay(run_id=run_id, journal_id=journal_id)
