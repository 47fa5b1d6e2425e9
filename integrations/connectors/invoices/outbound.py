"""From here to Tripletex (seed 004): an issued invoice as an advanced voucher with its PDF, a payment as a
payment voucher, and the customer and project they need.

Each effect happens once. A voucher's `externalVoucherNumber` is our key: before a create whose answer
may have been lost (a timeout, a killed worker) is sent again, the voucher is looked up by it. Otherwise
an invoice costs two calls (voucher, PDF); accounts, VAT types, customers and projects are read once per
run or remembered as links.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from commerce.models import Invoice, LedgerAccount, Payment
from commerce.money import invoice_totals
from hr.models import Customer, Project

from ...hours import enqueue_push_on_commit
from ...hours.outbox import hour_transfers_release_project
from ...models import Link, OutboundChange, SyncRecord
from ...tripletex import RateLimited, TripletexError, ValidationFailed
from ..base import Deferred, SyncContext
from ..master_data import rules as md_rules
from . import rules

Action = SyncRecord.Action
OUT = SyncRecord.Direction.TO_TRIPLETEX
INVOICE, PAYMENT, PROJECT = Link.Kind.INVOICE, Link.Kind.PAYMENT, Link.Kind.PROJECT


class Refused(Exception):
    """Something here stops the send (an account without its Tripletex account, a customer without number)."""

    def __init__(self, message: str, rule=""):
        super().__init__(message)
        self.message, self.rule = message, rule


class _Log:
    def __init__(self, ctx: SyncContext, kind: str, local_id: int, label: str):
        self.ctx, self.kind, self.local_id, self.label, self.tripletex_id = ctx, kind, local_id, label, None

    def __call__(self, action: str, *, rule="", message: str = "", request_id: str = "") -> None:
        self.ctx.record(kind=self.kind, action=action, direction=OUT, local_id=self.local_id,
                        tripletex_id=self.tripletex_id, label=self.label, rule=rule, message=message,
                        request_id=request_id)


def handle_local_change(ctx: SyncContext, change: OutboundChange) -> None:
    if change.kind == INVOICE:
        invoice = Invoice.objects.filter(tenant=ctx.tenant, id=change.local_id).first()
        if invoice is None or invoice.is_draft:
            return
        log = _Log(ctx, INVOICE, invoice.id, str(invoice))
        if invoice.is_credit_note:
            _guarded(log, lambda: _credit_note_send(ctx, invoice, log))
        else:
            _guarded(log, lambda: _invoice_send(ctx, invoice, log))
    elif change.kind == PROJECT:
        project = Project.objects.filter(tenant=ctx.tenant, id=change.local_id).select_related("customer").first()
        if project is None:
            return
        log = _Log(ctx, PROJECT, project.id, str(project))
        _guarded(log, lambda: _project_send(ctx, project, change, log))
    elif change.kind == PAYMENT:
        payment = Payment.objects.filter(tenant=ctx.tenant, id=change.local_id).select_related("invoice").first()
        if payment is None:
            return
        log = _Log(ctx, PAYMENT, payment.id, str(change.snapshot.get("label") or payment))
        _guarded(log, lambda: _payment_send(ctx, payment, log))


def _guarded(log: _Log, send) -> None:
    try:
        send()
    except Refused as exc:
        log(Action.FAILED, rule=exc.rule, message=exc.message)
    except RateLimited:
        raise  # not a failure: the platform sends it again after the reset
    except TripletexError as exc:
        log(Action.FAILED, message=refusal_words(exc), request_id=exc.request_id or "")
        exc.logged = True
        raise


def refusal_words(exc: TripletexError) -> str:
    """Tripletex's refusal as the admin can act on it, with Tripletex's own words after it."""
    fields = "; ".join(f"{f}: {m}" if f else m for f, m in exc.validation.items())
    theirs = f"{exc.message} ({fields})" if fields and fields not in exc.message else exc.message
    text = f"{exc.message} {fields} {exc.developer_message or ''}".lower()
    if "period" in text or "stengt" in text or "låst" in text:
        hint = _("Perioden er stengt i Tripletex. Åpne perioden der (eller endre datoen her) og trykk «Prøv igjen».")
    elif "balanse" in text or "balance" in text:
        hint = _("Føringene gikk ikke i balanse. Sjekk kontoene i Kontoplan og trykk «Prøv igjen».")
    elif "bankkonto" in text or "bank account" in text:
        hint = _("Selskapet mangler bankkonto i Tripletex. Legg den inn der og trykk «Prøv igjen».")
    elif "prosjekt" in text and ("avsluttet" in text or "closed" in text or "locked" in text):
        hint = _("Prosjektet er avsluttet eller låst i Tripletex. Åpne det der og trykk «Prøv igjen».")
    elif not exc.permanent:
        hint = _("Tripletex svarte ikke som ventet; det prøves igjen av seg selv.")
    else:
        hint = _("Tripletex tok ikke imot bilaget.")
    return _("%(hint)s Tripletex sier: %(theirs)s") % {"hint": hint, "theirs": theirs}


# --- invoices -----------------------------------------------------------------------------------------

def _invoice_send(ctx: SyncContext, invoice: Invoice, log: _Log) -> Link:
    """The invoice's voucher with its PDF, made once; returns its link."""
    link = _link(ctx, INVOICE, invoice.id)
    if link is not None and link.synced_values.get("attached"):
        log.tripletex_id = link.tripletex_id
        log(Action.UNCHANGED, rule=rules.ALREADY_SENT)
        return link
    notes: list[str] = []
    rule = rules.INVOICE_SENT
    if link is None:
        invoice = Invoice.objects.select_related("customer", "project").get(pk=invoice.pk)
        lines = list(invoice.lines.all())
        totals = invoice_totals((line.vat_code, line.amount) for line in lines)
        receivable = _account(ctx, LedgerAccount.Role.RECEIVABLE)
        sales = {g.code: _account(ctx, LedgerAccount.Role.SALES, g.code) for g in totals.groups}
        vat_types = _vat_types(ctx)
        customer_id = _customer_id(ctx, invoice.customer, log)
        project_id = None
        if invoice.project_id:
            _project_not_on_its_way(ctx, invoice.project_id)
            project_id = _project_id(ctx, invoice.project, log, start_date=invoice.invoice_date)
        external = str(invoice.number)
        found = _voucher_find(ctx, invoice.invoice_date, external) if _in_doubt(ctx, INVOICE, invoice.id) else None
        if found is not None:
            rule = rules.FOUND_AFTER_DOUBT
            voucher = found
        else:
            description = _("Faktura %(number)s %(customer)s") % {"number": invoice.number,
                                                                   "customer": invoice.customer.name}
            postings = [{
                "row": 1, "date": invoice.invoice_date.isoformat(), "description": description,
                "account": {"id": receivable}, "customer": {"id": customer_id},
                "amountGross": _num(totals.gross), "amountGrossCurrency": _num(totals.gross),
                "invoiceNumber": external, "termOfPayment": invoice.due_date.isoformat(),
            }]
            for row, group in enumerate(totals.groups, start=2):
                posting = {
                    "row": row, "date": invoice.invoice_date.isoformat(), "description": description,
                    "account": {"id": sales[group.code]}, "vatType": {"id": vat_types[group.code]},
                    "amountGross": _num(-group.gross), "amountGrossCurrency": _num(-group.gross),
                }
                if project_id:
                    posting["project"] = {"id": project_id}
                postings.append(posting)
            _mark_in_doubt(ctx, INVOICE, invoice.id)
            voucher = ctx.client.voucher_create({
                "date": invoice.invoice_date.isoformat(), "description": description,
                "externalVoucherNumber": external, "postings": postings,
            }, send_to_ledger=True)
        link = _link_save(ctx, INVOICE, invoice.id, voucher, values={"attached": bool(found and found.get("attachment"))})
    log.tripletex_id = link.tripletex_id
    _attach_pdf_once(ctx, link, invoice, f"faktura-{invoice.number}.pdf", notes)
    log(Action.CREATED, rule=rule, message=" ".join(notes))
    return link


def _attach_pdf_once(ctx: SyncContext, link: Link, invoice: Invoice, filename: str, notes: list[str]) -> None:
    """Attach the record's PDF to its voucher once: an attach whose answer was lost is seen on the voucher."""
    if link.synced_values.get("attached"):
        return
    if link.synced_values.get("attaching") and _voucher_has_attachment(ctx, link.tripletex_id):
        notes.append(_("PDF-en var allerede lagt ved."))
    else:
        _link_values(link, attaching=True)
        ctx.client.voucher_attach(link.tripletex_id, invoice.pdf.open("rb").read(), filename=filename)
    _link_values(link, attached=True, attaching=False)


def _invoice_not_on_its_way(ctx: SyncContext, invoice: Invoice) -> None:
    """Raise `Deferred` while the invoice's own change waits or is being sent: sending it from here too, at
    the same moment as another worker, made two vouchers (found by the fault suite)."""
    own = OutboundChange.objects.filter(
        tenant=ctx.tenant, kind=INVOICE, local_id=invoice.id,
        state__in=(OutboundChange.State.PENDING, OutboundChange.State.SENDING),
    ).values_list("state", "next_attempt_at").first()
    if own is None:
        return
    state, next_attempt_at = own
    wait = 1.0
    if state == OutboundChange.State.PENDING and next_attempt_at is not None:
        wait = max(wait, (next_attempt_at - timezone.now()).total_seconds())
    raise Deferred(retry_in=wait)


# --- credit notes ---------------------------------------------------------------------------------------

def _credit_note_send(ctx: SyncContext, note: Invoice, log: _Log) -> None:
    """A credit note reverses its invoice's voucher (`:reverse`, which Tripletex links to the original) and
    gets its PDF attached to the reversal; once.

    The original voucher's `reverseVoucher` is read before reversing: it says whether a reversal exists,
    ours from a lost answer or one made by hand in Tripletex, and either is linked instead of made again.
    """
    link = _link(ctx, INVOICE, note.id)
    if link is not None and link.synced_values.get("attached"):
        log.tripletex_id = link.tripletex_id
        log(Action.UNCHANGED, rule=rules.ALREADY_SENT)
        return
    rule, notes = rules.CREDIT_NOTE_SENT, []
    if link is None:
        original = Invoice.objects.select_related("customer", "project").get(pk=note.credited_invoice_id)
        original_link = _link(ctx, INVOICE, original.id)
        if original_link is None or not original_link.synced_values.get("attached"):
            # The reversal needs the invoice's voucher, so the invoice goes first (once: not while its own
            # change is on its way, as for a payment).
            _invoice_not_on_its_way(ctx, original)
            original_link = _invoice_send(ctx, original, _Log(ctx, INVOICE, original.id, str(original)))
        voucher = ctx.client.voucher_get(original_link.tripletex_id, fields="id,reverseVoucher(id)")
        theirs = (voucher.get("reverseVoucher") or {}).get("id")
        if theirs is not None:
            ours = _in_doubt(ctx, INVOICE, note.id)
            rule = rules.CREDIT_NOTE_FOUND_AFTER_DOUBT if ours else rules.CREDIT_NOTE_ALREADY_REVERSED
            reversal = ctx.client.voucher_get(theirs, fields="id,version,attachment(id)")
            # One made by hand is not ours to add to: it keeps what it has, and the PDF stays here.
            link = _link_save(ctx, INVOICE, note.id, reversal,
                              values={"attached": not ours or bool(reversal.get("attachment")), "reversal": True})
            if not ours:
                notes.append(_("Bilaget ble reversert i Tripletex av noen andre; kreditnotaens PDF er ikke lagt "
                               "ved der."))
        else:
            _mark_in_doubt(ctx, INVOICE, note.id)
            reversal = ctx.client.voucher_reverse(original_link.tripletex_id, date=note.invoice_date)
            link = _link_save(ctx, INVOICE, note.id, reversal, values={"attached": False, "reversal": True})
    log.tripletex_id = link.tripletex_id
    _attach_pdf_once(ctx, link, note, f"kreditnota-{note.number}.pdf", notes)
    log(Action.CREATED, rule=rule, message=" ".join(notes))


def _num(amount: Decimal) -> float:
    # JSON numbers; Decimal → float is exact enough for two decimals, and the client sends JSON.
    return float(amount)


# --- payments -----------------------------------------------------------------------------------------

def _payment_send(ctx: SyncContext, payment: Payment, log: _Log) -> None:
    link = _link(ctx, PAYMENT, payment.id)
    if link is not None:
        log.tripletex_id = link.tripletex_id
        log(Action.UNCHANGED, rule=rules.ALREADY_SENT)
        return
    invoice = Invoice.objects.select_related("customer").get(pk=payment.invoice_id)
    invoice_link = _link(ctx, INVOICE, invoice.id)
    if invoice_link is None or not invoice_link.synced_values.get("attached"):
        # The payment is posted against the invoice's entry in the customer ledger, so the invoice goes first.
        _invoice_not_on_its_way(ctx, invoice)
        _invoice_send(ctx, invoice, _Log(ctx, INVOICE, invoice.id, str(invoice)))
    bank = _account(ctx, LedgerAccount.Role.BANK)
    receivable = _account(ctx, LedgerAccount.Role.RECEIVABLE)
    customer_id = _customer_id(ctx, invoice.customer, log)
    external = f"{invoice.number}-{payment.id}"
    found = _voucher_find(ctx, payment.date, external) if _in_doubt(ctx, PAYMENT, payment.id) else None
    rule = rules.PAYMENT_SENT
    if found is not None:
        voucher, rule = found, rules.FOUND_AFTER_DOUBT
    else:
        source = _("KID %(kid)s") % {"kid": payment.kid} if payment.kid else _("registrert manuelt")
        description = _("Innbetaling faktura %(number)s (%(source)s)") % {"number": invoice.number, "source": source}
        amount = _num(payment.amount)
        common = {"date": payment.date.isoformat(), "description": description}
        _mark_in_doubt(ctx, PAYMENT, payment.id)
        voucher = ctx.client.voucher_create({
            **common, "externalVoucherNumber": external,
            "postings": [
                {**common, "row": 1, "account": {"id": bank}, "amountGross": amount, "amountGrossCurrency": amount},
                {**common, "row": 2, "account": {"id": receivable}, "customer": {"id": customer_id},
                 "invoiceNumber": str(invoice.number), "amountGross": -amount, "amountGrossCurrency": -amount},
            ],
        }, send_to_ledger=True)
    link = _link_save(ctx, PAYMENT, payment.id, voucher, values={})
    log.tripletex_id = link.tripletex_id
    log(Action.CREATED, rule=rule)


# --- vouchers: in doubt and found again ---------------------------------------------------------------

def _in_doubt(ctx: SyncContext, kind: str, local_id: int) -> bool:
    """A create was sent for this row and its answer never stored: it may exist in Tripletex."""
    return OutboundChange.objects.filter(tenant=ctx.tenant, kind=kind, local_id=local_id).filter(
        Q(attempts__gt=0) | Q(message="in_doubt")
    ).exists() or ctx.cache.get(("doubt", kind, local_id), False)


def _mark_in_doubt(ctx: SyncContext, kind: str, local_id: int) -> None:
    # Written (and committed) before the create goes out: a worker killed while waiting leaves this behind.
    rows = OutboundChange.objects.filter(tenant=ctx.tenant, kind=kind, local_id=local_id,
                                         state__in=(OutboundChange.State.SENDING, OutboundChange.State.PENDING))
    if not rows.update(message="in_doubt"):
        ctx.cache[("doubt", kind, local_id)] = True


def _voucher_find(ctx: SyncContext, day: dt.date, external: str) -> dict | None:
    """Our voucher by its external number (Tripletex filters vouchers by date only; we match the number)."""
    vouchers = ctx.client.voucher_list(date_from=day, date_to=day + dt.timedelta(days=1),
                                       fields="id,version,externalVoucherNumber,attachment(id)")
    return next((v for v in vouchers if v.get("externalVoucherNumber") == external), None)


def _voucher_has_attachment(ctx: SyncContext, voucher_id: int) -> bool:
    return bool(ctx.client.voucher_get(voucher_id, fields="id,attachment(id)").get("attachment"))


# --- accounts and VAT types ---------------------------------------------------------------------------

def _account(ctx: SyncContext, role: str, vat_code: str = "") -> int:
    """The Tripletex account id for our account of `role` (and VAT code); Refused names what is missing."""
    ours = ctx.cache.get("accounts")
    if ours is None:
        ours = ctx.cache["accounts"] = list(LedgerAccount.objects.filter(tenant=ctx.tenant))
    account = next((a for a in ours if a.role == role and a.vat_code == vat_code), None)
    account = account or next((a for a in ours if a.role == role and a.vat_code == ""), None)
    if account is None:
        role_name = LedgerAccount.Role(role).label
        raise Refused(_("Kontoplanen mangler en konto for «%(role)s»%(vat)s. Legg den til i Kontoplan og trykk "
                        "«Prøv igjen».") % {"role": role_name, "vat": f" (mva-kode {vat_code})" if vat_code else ""},
                      rules.ACCOUNT_MISSING)
    if not account.tripletex_number:
        raise Refused(_("Konto %(number)s %(name)s er ikke koblet til en konto i Tripletex. Koble den i Kontoplan "
                        "og trykk «Prøv igjen».") % {"number": account.number, "name": account.name},
                      rules.ACCOUNT_MISSING)
    ids = ctx.cache.get("tripletex_accounts")
    if ids is None:
        numbers = sorted({int(a.tripletex_number) for a in ours if a.tripletex_number})
        found = ctx.client.ledger_account_list(numbers=numbers, fields="id,number") if numbers else []
        ids = ctx.cache["tripletex_accounts"] = {str(a["number"]): a["id"] for a in found}
    if account.tripletex_number not in ids:
        raise Refused(_("Konto %(theirs)s finnes ikke i Tripletex (koblet fra vår konto %(number)s %(name)s). "
                        "Rett det i Kontoplan og trykk «Prøv igjen».") % {
                          "theirs": account.tripletex_number, "number": account.number, "name": account.name},
                      rules.ACCOUNT_MISSING)
    return ids[account.tripletex_number]


def _vat_types(ctx: SyncContext) -> dict[str, int]:
    if "vat_types" not in ctx.cache:
        ctx.cache["vat_types"] = {str(v["number"]): v["id"] for v in ctx.client.vat_type_list(fields="id,number")}
    return ctx.cache["vat_types"]


# --- customers and projects: found by number, else created ------------------------------------------------

def _customer_id(ctx: SyncContext, customer: Customer, log: _Log) -> int:
    link = _link(ctx, Link.Kind.CUSTOMER, customer.id)
    if link is not None:
        if link.state != Link.State.LINKED:
            raise Refused(_("Kunden «%(name)s» er ikke lenger koblet til Tripletex (%(state)s).") % {
                "name": customer.name, "state": link.get_state_display()})
        return link.tripletex_id
    number = customer.customer_number.strip()
    if not (number.isascii() and number.isdigit()):
        raise Refused(_("Kunden «%(name)s» har ikke et kundenummer med bare sifre, som Tripletex krever.")
                      % {"name": customer.name})
    kind = md_rules.CUSTOMER
    local = md_rules.local_values(kind, customer)

    def by_number() -> dict | None:
        hits = ctx.client.customer_list(customer_numbers=[int(number)], fields=md_rules.TRIPLETEX_FIELDS[kind])
        return next((h for h in hits if str(h.get("customerNumber")) == str(int(number))), None)

    obj = by_number()
    rule, action = rules.CUSTOMER_FOUND, Action.LINKED
    if obj is None:
        body = {k: v for k, v in md_rules.to_tripletex(kind, local).items() if v != ""}
        address = {k: v for k, v in body.pop("postalAddress").items() if v}
        if address:
            body["postalAddress"] = address
        try:
            obj = ctx.client.customer_create(body)
            rule, action = rules.CUSTOMER_CREATED, Action.CREATED
        except ValidationFailed:
            # Another worker created it a moment ago (the two-way connector sending the same new customer):
            # its number is taken by the very customer we wanted, so that one is linked instead.
            obj = by_number()
            if obj is None:
                raise
    _master_link_save(ctx, kind, customer, obj)
    ctx.record(kind=kind, action=action, direction=OUT, local_id=customer.id, tripletex_id=obj["id"],
               label=customer.name, rule=rule)
    return obj["id"]


def _project_send(ctx: SyncContext, project: Project, change: OutboundChange, log: _Log) -> None:
    """Seed 004: a new project here becomes a project in Tripletex, or is linked to the one with its exact number.

    Only creation is sent: a project there is never changed or deleted from here, ours or one made by hand."""
    link = _link(ctx, PROJECT, project.id)
    if link is not None:
        log.tripletex_id = link.tripletex_id
        # Hours may have been held for it after another path linked it (the hours push queued this change).
        _release_hours_of(ctx, project.id)
        rule = rules.PROJECT_ALREADY_LINKED if link.state == Link.State.LINKED else rules.PROJECT_LINK_CUT
        log(Action.UNCHANGED if link.state == Link.State.LINKED else Action.SKIPPED, rule=rule)
        return
    if change.op == OutboundChange.Op.DELETE:
        log(Action.SKIPPED, rule=rules.PROJECT_DELETED_HERE)
        return
    _project_id(ctx, project, log, start_date=project.start_date or timezone.localdate())


def _release_hours_of(ctx: SyncContext, project_id: int) -> None:
    """Seed 004: hours held because their project had no link go once it is linked, whether the hours push or an
    invoice needing the project had it made or found."""
    link = _link(ctx, PROJECT, project_id)
    if link is None or link.state != Link.State.LINKED:
        return
    if hour_transfers_release_project(tenant=ctx.tenant, project_id=project_id):
        enqueue_push_on_commit(tenant_id=ctx.tenant.id)


def _project_not_on_its_way(ctx: SyncContext, project_id: int) -> None:
    """Raise `Deferred` while the project's own change is being sent: both would search, find nothing and create."""
    sending = OutboundChange.objects.filter(tenant=ctx.tenant, kind=PROJECT, local_id=project_id,
                                            state=OutboundChange.State.SENDING).exists()
    if sending and not _link(ctx, PROJECT, project_id):
        raise Deferred(retry_in=1.0)


def _project_id(ctx: SyncContext, project: Project, log: _Log, *, start_date: dt.date) -> int:
    """Seed 004: use a project in Tripletex only on an exact number match; create it otherwise."""
    link = _link(ctx, Link.Kind.PROJECT, project.id)
    if link is not None and link.state == Link.State.LINKED:
        return link.tripletex_id
    if not project.number:
        raise Refused(_("Prosjektet «%(name)s» har ikke prosjektnummer, så det kan ikke finnes igjen i Tripletex.")
                      % {"name": project.name})
    kind = md_rules.PROJECT

    def by_number() -> dict | None:
        hits = ctx.client.project_list(number=project.number, fields=md_rules.TRIPLETEX_FIELDS[kind])
        return next((h for h in hits if str(h.get("number")) == project.number), None)

    obj = by_number()
    rule, action = rules.PROJECT_FOUND, Action.LINKED
    if obj is None:
        local = md_rules.local_values(kind, project)
        # A project made before it had a start date still needs one in Tripletex.
        local["start_date"] = local["start_date"] or start_date.isoformat()
        body = md_rules.to_tripletex(kind, local)
        body["projectManager"] = {"id": _me(ctx)["employeeId"]}
        if project.customer_id:
            body["customer"] = {"id": _customer_id(ctx, project.customer, log)}
        try:
            obj = ctx.client.project_create(body)
            rule, action = rules.PROJECT_CREATED, Action.CREATED
        except ValidationFailed:
            # Made a moment ago by another worker (the invoice needing it, or a lost answer's retry): its number
            # is taken by the very project we wanted, so that one is linked instead.
            obj = by_number()
            if obj is None:
                raise
    _master_link_save(ctx, kind, project, obj)
    _release_hours_of(ctx, project.id)
    ctx.record(kind=kind, action=action, direction=OUT, local_id=project.id, tripletex_id=obj["id"],
               label=str(project), rule=rule)
    return obj["id"]


def _me(ctx: SyncContext) -> dict:
    if "who_am_i" not in ctx.cache:
        ctx.cache["who_am_i"] = ctx.client.who_am_i(fields="employeeId")
    return ctx.cache["who_am_i"]


# --- links ----------------------------------------------------------------------------------------------

def _link(ctx: SyncContext, kind: str, local_id: int) -> Link | None:
    return Link.objects.filter(tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=kind,
                               local_id=local_id).first()


def _link_save(ctx: SyncContext, kind: str, local_id: int, obj: dict, *, values: dict) -> Link:
    link = Link(tenant=ctx.tenant, kind=kind, local_id=local_id, tripletex_company_id=ctx.company_id,
                tripletex_id=obj["id"], tripletex_version=obj.get("version"), synced_values=values)
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:
        # Another worker linked it a moment ago (a redelivered task): theirs stands.
        link = _link(ctx, kind, local_id)
    return link


def _link_values(link: Link, **values) -> None:
    link.synced_values = {**link.synced_values, **values}
    link.save(update_fields=["synced_values", "updated_at"])


def _master_link_save(ctx: SyncContext, kind: str, row, obj: dict) -> None:
    """The same link the two-way connector keeps, so both agree on what is linked and on its values."""
    remote = md_rules.remote_values(kind, obj)
    link = Link.objects.filter(tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=kind,
                               local_id=row.id).first() or Link(
        tenant=ctx.tenant, kind=kind, local_id=row.id, tripletex_company_id=ctx.company_id, tripletex_id=obj["id"])
    md_rules.link_agree(link, values=dict(remote), local=md_rules.local_values(kind, row), remote=remote)
    link.state = Link.State.LINKED
    link.tripletex_id = obj["id"]
    link.tripletex_version = obj.get("version")
    link.save()


# --- reconcile: what was issued or paid before the connector was on, or left behind -----------------------

def reconcile(ctx: SyncContext) -> None:
    """Queue every issued invoice and every payment that has no voucher in this Tripletex company yet."""
    from ..services import local_change_record

    for kind, rows in ((INVOICE, Invoice.objects.filter(tenant=ctx.tenant, status=Invoice.Status.ISSUED)),
                       (PAYMENT, Payment.objects.filter(tenant=ctx.tenant).select_related("invoice"))):
        linked = Link.objects.filter(tenant=ctx.tenant, tripletex_company_id=ctx.company_id, kind=kind)
        if kind == INVOICE:
            linked = linked.filter(synced_values__attached=True)
        waiting = OutboundChange.objects.filter(tenant=ctx.tenant, kind=kind, state__in=(
            OutboundChange.State.PENDING, OutboundChange.State.SENDING))
        ids = rows.exclude(id__in=linked.values("local_id")).exclude(id__in=waiting.values("local_id"))
        for row in ids.order_by("id"):
            local_change_record(tenant=ctx.tenant, kind=kind, local_id=row.id, snapshot={"label": str(row)})
