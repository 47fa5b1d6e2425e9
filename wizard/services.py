"""The activation wizard's state changes: check the API-nøkkel, fetch from Tripletex, choose, Ferdigstill.

Nothing here writes to Tripletex, and nothing is active before `draft_finish` (seed 001).
"""
import datetime as dt
import logging
import re
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from integrations import rights
from integrations.clients import environment_hint, tripletex_client
from integrations.connectors import activation
from integrations.hours.outbox import hour_transfers_hold_before
from integrations.models import Connection, Link, SyncRecord, SyncRun
from integrations.selectors import connection_for
from integrations.services import connection_activate, connection_remove, connection_token_replace
from integrations.tripletex import RetryPolicy, TokenRejected, Transient, TripletexError
from tenants.models import Tenant, User

from .models import Draft, Fetch, Item

log = logging.getLogger(__name__)

APPLICATION_NAME = "GrønnJobb"
# Employee tokens are base64-like strings; anything else is a copy-paste accident.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-+/=.:]{16,512}$")
# Step 1 must answer while the admin waits: a slow Tripletex gets "try again later", not a hung page.
# The check makes two calls (session, whoAmI), each tried at most twice: worst case 2 × (2 × 6 s + 0.5 s)
# = 25 s, inside gunicorn's 30 s worker timeout (the client's default four attempts made it over a minute).
CHECK_TIMEOUTS = {
    "connect_timeout": 3.0, "read_timeout": 6.0, "max_rate_limit_wait": 5.0,
    "retry": RetryPolicy(attempts=2, base=0.5, cap=0.5),
}


class WizardError(Exception):
    """A problem to show the admin where they are, in their words. Nothing was stored."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


class OtherCompany(WizardError):
    """The token belongs to another Tripletex company than the one this company was linked to."""


def draft_for(*, tenant: Tenant) -> Draft | None:
    return Draft.objects.filter(tenant=tenant).first()


def draft_start(*, tenant: Tenant, by: User) -> Draft:
    draft, _created = Draft.objects.get_or_create(tenant=tenant, defaults={"started_by": by})
    return draft


def draft_cancel(*, tenant: Tenant) -> None:
    """Leave the wizard: the draft goes, whatever was active before stays as it was."""
    Draft.objects.filter(tenant=tenant).delete()


def integration_remove(*, tenant: Tenant, by: User) -> Connection:
    """«Fjern integrasjon»: transfers stop, the stored key is forgotten, and a refresh left open ends with it,
    so its Ferdigstill cannot bring back a connection the admin removed (nor its key, if it had a new one).

    Not one transaction: the removal talks to Tripletex outside its own. A Ferdigstill on the stored key that
    comes in between finds no key left and ends its run itself (`draft_finish`).
    """
    started = timezone.now()
    connection = connection_remove(tenant=tenant, by=by)
    Draft.objects.filter(tenant=tenant, created_at__lte=started).delete()  # not one begun after the removal
    return connection


def drafts_expire(*, older_than: dt.timedelta) -> int:
    """Delete wizards left untouched for `older_than`, for every company, with the API keys in them."""
    stale = Draft.objects.filter(updated_at__lt=timezone.now() - older_than)
    return stale.delete()[1].get(Draft._meta.label, 0)


def _describe_rejection(exc: TokenRejected) -> WizardError:
    text = f"{exc.message} {exc.developer_message or ''}".lower()
    if "application" in text or "applikasjon" in text:
        return WizardError(
            _("API-nøkkelen er laget for en annen applikasjon. Lag en ny nøkkel i Tripletex med applikasjonsnavnet "
              "«%(name)s», skrevet nøyaktig slik, med store og små bokstaver.") % {"name": APPLICATION_NAME},
            code="wrong_application",
        )
    if "revoked" in text or "tilbakekalt" in text or "deaktivert" in text:
        return WizardError(
            _("API-nøkkelen er slettet eller deaktivert i Tripletex. Lag en ny nøkkel og lim den inn her."), code="revoked"
        )
    if "consumer" in text:
        log.error("Tripletex refused our consumer token (request id %s)", exc.request_id)
        return WizardError(
            _("Tripletex godtar ikke integrasjonen vår akkurat nå. Dette er en feil hos oss; kontakt support."),
            code="consumer",
        )
    return WizardError(
        _("Tripletex kjenner ikke igjen denne API-nøkkelen. Sjekk at hele nøkkelen er kopiert, eller lag en ny.")
        + " " + environment_hint(),
        code="unknown_token",
    )


def check_token(token: str) -> dict:
    """Ask Tripletex who the token belongs to. Returns {company_id, company_name, employee_name}."""
    if not token:
        raise WizardError(_("Lim inn API-nøkkelen fra Tripletex."), code="empty")
    if not TOKEN_SHAPE.match(token):
        raise WizardError(
            _("Dette ser ikke ut som en API-nøkkel. Kopier hele nøkkelen fra Tripletex, uten mellomrom."), code="malformed"
        )
    if not settings.TRIPLETEX_CONSUMER_TOKEN:
        log.error("TRIPLETEX_CONSUMER_TOKEN is not set: no API key can be checked")
        raise WizardError(
            _("Tripletex-integrasjonen er ikke satt opp på serveren ennå. Dette er en feil hos oss; kontakt support."),
            code="consumer",
        )
    try:
        with tripletex_client(employee_token=token, **CHECK_TIMEOUTS) as client:
            me = client.who_am_i(fields="companyId,employeeId,company(id,name),employee(id,firstName,lastName)")
    except TokenRejected as exc:
        raise _describe_rejection(exc) from None
    except Transient:
        raise WizardError(
            _("Tripletex svarer ikke akkurat nå. Ingenting er lagret; prøv igjen om litt."), code="unreachable"
        ) from None
    except TripletexError as exc:
        raise WizardError(
            _("Tripletex avviste forespørselen: %(message)s (forespørsel %(id)s)")
            % {"message": exc.message, "id": exc.request_id or "–"}, code="tripletex",
        ) from None
    employee = me.get("employee") or {}
    return {
        "company_id": int(me["companyId"]),
        "company_name": (me.get("company") or {}).get("name", ""),
        "employee_name": f"{employee.get('firstName', '')} {employee.get('lastName', '')}".strip(),
    }


def _linked_company_id(tenant: Tenant, connection: Connection | None) -> int | None:
    if connection and connection.tripletex_company_id:
        return connection.tripletex_company_id
    return Link.objects.filter(tenant=tenant).values_list("tripletex_company_id", flat=True).first()


def draft_check_token(
    *, tenant: Tenant, by: User, token: str = "", keep_stored: bool = False, confirm_other_company: bool = False,
) -> Draft:
    """Step 1: check the pasted token, or on a refresh the stored one (`keep_stored`). Starts the three fetches."""
    token = (token or "").strip()
    connection = connection_for(tenant=tenant)
    # A stored key Tripletex refused may be tried again: its user may have been made active again there.
    if keep_stored and not (connection and connection.is_connected and connection.employee_token):
        raise WizardError(_("Det er ingen lagret API-nøkkel. Lim inn en nøkkel fra Tripletex."), code="nothing_stored")
    who = check_token(connection.employee_token if keep_stored else token)

    linked = _linked_company_id(tenant, connection)
    if linked and linked != who["company_id"] and not confirm_other_company:
        raise OtherCompany(
            _("Denne API-nøkkelen hører til Tripletex-selskapet «%(new)s», men %(tenant)s har vært koblet til et annet "
              "Tripletex-selskap (%(old)s). Koblingene til det gamle selskapet brukes ikke for det nye. Bekreft at du vil "
              "koble til «%(new)s».")
            % {"new": who["company_name"], "tenant": tenant.name,
               "old": (connection.tripletex_company_name if connection else "") or linked},
            code="other_company",
        )

    with transaction.atomic():
        draft = draft_start(tenant=tenant, by=by)
        draft = Draft.objects.select_for_update().get(pk=draft.pk)
        company_changed = draft.tripletex_company_id != who["company_id"]
        draft.employee_token = "" if keep_stored else token
        draft.tripletex_company_id = who["company_id"]
        draft.tripletex_company_name = who["company_name"]
        draft.tripletex_employee_name = who["employee_name"]
        draft.other_company_confirmed = bool(linked and linked != who["company_id"])
        draft.started_by = by
        draft.rights, draft.rights_checked_at = {}, None
        draft.save()
        if company_changed or not draft.fetches.exists():
            for kind in activation.KINDS:
                fetch_start(draft=draft, kind=kind)
        draft_id = draft.id
        transaction.on_commit(lambda: _enqueue_rights_check(draft_id=draft_id))
    return draft


def _enqueue_rights_check(*, draft_id: int) -> None:
    from .tasks import wizard_check_rights

    wizard_check_rights.delay(draft_id=draft_id)


def draft_rights_check(*, draft_id: int) -> None:
    """The task body of step 1's checklist: what the draft's key lets its Tripletex user do, found with one
    read of one id per right (`integrations.rights`), never a write. Costs a session and six reads."""
    draft = Draft.objects.filter(id=draft_id).first()
    token = draft_token(draft) if draft is not None and draft.token_checked else ""
    if not token:
        return
    now = timezone.now()
    try:
        with tripletex_client(employee_token=token, **CHECK_TIMEOUTS) as client:
            found = rights.rights_check(client, today=timezone.localdate(), at=now)
    except TripletexError as exc:  # the key refused after all, or Tripletex away: nothing is known
        found = {r.key: rights.result(rights.UNKNOWN, at=now, exc=exc) for r in rights.RIGHTS}
    with transaction.atomic():
        current = Draft.objects.select_for_update().filter(id=draft_id).first()
        if current is None or draft_token(current) != token:
            return  # another key was pasted meanwhile; its own check writes the list
        current.rights, current.rights_checked_at = found, now
        current.save(update_fields=["rights", "rights_checked_at", "updated_at"])


def draft_resume_with_key(*, tenant: Tenant, by: User) -> Connection:
    """The short way back when Tripletex stopped taking the stored key: the key checked at step 1 (a new one for
    the same Tripletex company, or the stored one working again) is taken into use, everything that waited
    goes, and this wizard run ends without Ferdigstill (the earlier choices stand)."""
    connection = connection_for(tenant=tenant)
    draft = draft_for(tenant=tenant)
    if draft is None or not draft.token_checked or not draft_token(draft):
        raise WizardError(_("Lim inn og kontroller den nye API-nøkkelen først."), code="no_token")
    if connection is None or not connection.is_connected or (
        connection.tripletex_company_id != draft.tripletex_company_id
    ):
        raise WizardError(_("Nøkkelen hører til et annet Tripletex-selskap enn det som er koblet til. Gå gjennom "
                            "stegene og klikk «Ferdigstill»."), code="other_company")
    with transaction.atomic():
        connection = connection_token_replace(
            tenant=tenant, by=by, employee_token=draft_token(draft), company_id=draft.tripletex_company_id,
            employee_name=draft.tripletex_employee_name, key_rights=draft.rights,
        )
        draft.delete()
    return connection


def draft_token(draft: Draft) -> str:
    """The token the draft fetches with: the new one, or on a refresh that keeps it, the stored one."""
    if draft.employee_token:
        return draft.employee_token
    connection = connection_for(tenant=draft.tenant)
    return connection.employee_token if connection and connection.is_connected else ""


def fetch_start(*, draft: Draft, kind: str) -> Fetch:
    """(Re)start fetching one list. The Celery task runs after this transaction commits."""
    from .tasks import wizard_fetch

    with transaction.atomic():
        fetch, created = Fetch.objects.get_or_create(tenant=draft.tenant, draft=draft, kind=kind)
        if not created:
            fetch.attempt += 1
        fetch.status, fetch.fetched, fetch.total, fetch.error, fetch.finished_at = Fetch.Status.RUNNING, 0, None, "", None
        fetch.save()
        Item.objects.filter(draft=draft, kind=kind).delete()
        fetch_id, attempt = fetch.id, fetch.attempt
        transaction.on_commit(lambda: wizard_fetch.delay(fetch_id=fetch_id, attempt=attempt))
    return fetch


def fetch_run(*, fetch_id: int, attempt: int) -> None:
    """The task body: fetch one list from Tripletex and plan every object. Safe to run twice."""
    fetch = Fetch.objects.select_related("draft", "tenant").filter(id=fetch_id, attempt=attempt).first()
    if fetch is None or fetch.status != Fetch.Status.RUNNING:
        return
    draft, tenant, kind = fetch.draft, fetch.tenant, fetch.kind
    current = Fetch.objects.filter(id=fetch_id, attempt=attempt, status=Fetch.Status.RUNNING)
    last_write = [0.0]

    def progress(done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - last_write[0] > 0.3 or (total is not None and done >= total):
            current.update(fetched=done, total=total)
            last_write[0] = now

    try:
        company = draft.tripletex_company_id  # its calls count against the company's budget, like every worker's
        with tripletex_client(employee_token=draft_token(draft), tripletex_company_id=company) as client:
            objects = activation.fetch(client, kind, progress)
    except TripletexError as exc:
        message = _("Tripletex svarer ikke akkurat nå.") if not exc.permanent else exc.message
        current.update(status=Fetch.Status.FAILED, error=message, finished_at=timezone.now())
        return

    items = plan_items(tenant=tenant, draft=draft, kind=kind, objects=objects)
    with transaction.atomic():
        if not current.exists():
            return  # restarted meanwhile; the newer attempt writes
        Item.objects.filter(draft=draft, kind=kind).delete()
        Item.objects.bulk_create(items)
        current.update(status=Fetch.Status.DONE, fetched=len(objects), total=len(objects), finished_at=timezone.now())


def plan_items(*, tenant: Tenant, draft: Draft, kind: str, objects: list[dict]) -> list[Item]:
    """Decide for each fetched object: create, update, unchanged or skip (and why). Pure reads, no writes."""
    today = timezone.localdate()
    matcher = activation.Matcher(tenant, draft.tripletex_company_id, kind)
    # The skip reasons as normalise words them now, in this language, to their codes.
    skip_codes = activation.skip_codes()
    taken: set[int] = set()
    items = []
    for obj in objects:
        data, skip = activation.normalise(kind, obj, today)
        local_id = matcher.match(obj["id"], data)
        if local_id in taken:
            local_id, skip = None, skip or _("Samme nummer eller e-post som et annet objekt fra Tripletex")
        if local_id is not None:
            taken.add(local_id)
        changes = matcher.changes(local_id, data) if local_id else {}
        if skip:
            action = Item.Action.SKIP
        elif local_id is None:
            action = Item.Action.CREATE
        else:
            action = Item.Action.UPDATE if changes else Item.Action.UNCHANGED
        number, name = activation.display(kind, data)
        items.append(Item(
            tenant=tenant, draft=draft, kind=kind, tripletex_id=obj["id"], tripletex_version=obj.get("version"),
            number=number, name=name[:300], data=data, action=action, skip_reason=skip, changes=changes,
            local_id=local_id, skip_code=skip_codes.get(skip, ""),
            # What already exists here is pre-selected: on a refresh that is everything chosen before.
            selected=action != Item.Action.SKIP and local_id is not None,
            search=f"{number} {name} {data.get('email', '')}".lower()[:400],
        ))
    return items


def items_matching(*, draft: Draft, kind: str, q: str = "", show: str = "") -> QuerySet[Item]:
    items = Item.objects.filter(draft=draft, kind=kind)
    if q:
        items = items.filter(search__contains=q.lower().strip())
    if show == "selected":
        items = items.filter(selected=True)
    elif show in Item.Action.values:
        items = items.filter(action=show)
    return items


def items_select(*, draft: Draft, kind: str, selected: bool, ids: list[int] | None = None, q: str = "", show: str = "") -> int:
    """Choose (or un-choose) the given items, or every item the current search shows. Skipped ones stay out."""
    items = items_matching(draft=draft, kind=kind, q=q, show=show).exclude(action=Item.Action.SKIP)
    if ids is not None:
        items = items.filter(id__in=ids)
    return items.update(selected=selected)


def fetches_done(draft: Draft) -> bool:
    return draft.fetches.filter(status=Fetch.Status.DONE).count() == len(activation.KINDS)


UNLINKED_RULE = gettext_lazy("Ikke valgt lenger: koblingen til Tripletex er fjernet, og godkjente timer holdes tilbake "
                             "til den velges igjen")


class RunEnded(WizardError):
    """Ferdigstill from a page whose wizard run is over: removed with the integration, cancelled or expired."""


class AlreadyFinished(RunEnded):
    pass


# Step 5: which of the approved hours that wait go to Tripletex at Ferdigstill.
SEND_ALL, SEND_NONE, SEND_FROM = "all", "none", "from"


def draft_finish(
    *, tenant: Tenant, by: User, draft_id: int, send_hours: str, send_hours_from: dt.date | None = None,
) -> SyncRun:
    """Ferdigstill: apply every choice in one transaction, link, store the token, activate. Seed 001: this
    must be pressed even when nothing is chosen, and until it is nothing is active.

    `send_hours` says which approved hours that wait go now: all, none, or those dated from `send_hours_from`;
    the others stay here, marked as not sent, for an export per period.
    """
    if send_hours not in (SEND_ALL, SEND_NONE, SEND_FROM) or (send_hours == SEND_FROM and send_hours_from is None):
        raise ValueError(f"send_hours={send_hours!r} needs a date only with {SEND_FROM!r}")
    if send_hours != SEND_FROM:
        send_hours_from = None
    with transaction.atomic():
        draft = Draft.objects.select_for_update().filter(tenant=tenant, id=draft_id).first()
        if draft is None:
            raise _why_draft_is_gone(tenant, draft_id)
        if not draft.token_checked:
            raise WizardError(_("Lim inn og kontroller API-nøkkelen først."), code="no_token")
        if not fetches_done(draft):
            raise WizardError(_("Vent til prosjekter, lønnsarter og ansatte er hentet fra Tripletex."), code="fetching")
        connection = connection_for(tenant=tenant)
        refresh = connection is not None and connection.is_connected
        if not draft.employee_token and not refresh:
            # A refresh on the stored key, and the key went with the connection: nothing left to activate with.
            draft.delete()
        else:
            return _finish(tenant, by, draft, refresh, send_hours, send_hours_from)
    raise _removed_meanwhile()


def _removed_meanwhile() -> RunEnded:
    return RunEnded(
        _("Integrasjonen ble fjernet mens denne oppdateringen var åpen, så den er avsluttet. Ingenting er endret. "
          "Vil du koble til igjen, klikker du «Koble til Tripletex»."),
        code="removed",
    )


def _why_draft_is_gone(tenant: Tenant, draft_id: int) -> RunEnded:
    """A Ferdigstill from a page whose wizard run has ended: say how it ended, so the admin knows what holds now."""
    finished = SyncRun.objects.filter(
        tenant=tenant, kind__in=(SyncRun.Kind.ACTIVATION, SyncRun.Kind.REFRESH), summary__draft=draft_id
    ).exists()
    if finished:
        return AlreadyFinished(_("Aktiveringen er allerede fullført (kanskje i en annen fane)."), code="finished")
    connection = connection_for(tenant=tenant)
    if connection is not None and connection.state == Connection.State.REMOVED:
        return _removed_meanwhile()
    return RunEnded(
        _("Denne aktiveringen er avbrutt, eller den ble slettet etter å ha ligget urørt i %(days)d dager. "
          "Ingenting er endret.") % {"days": settings.WIZARD_DRAFT_DAYS},
        code="ended",
    )


def _finish(tenant: Tenant, by: User, draft: Draft, refresh: bool, send_hours: str,
            send_hours_from: dt.date | None) -> SyncRun:
    run = SyncRun.objects.create(
        tenant=tenant, kind=SyncRun.Kind.REFRESH if refresh else SyncRun.Kind.ACTIVATION, started_by=by,
    )
    summary = {kind: _apply_kind(tenant, draft, kind, run) for kind in activation.KINDS}
    # While the connection was not active nothing was sent, so what is queued waits too; on a refresh the
    # queue keeps moving and only hours held for a link wait.
    hold_before = {SEND_ALL: None, SEND_NONE: dt.date.max, SEND_FROM: send_hours_from}[send_hours]
    held = 0
    if hold_before is not None:
        held = hour_transfers_hold_before(tenant=tenant, before=hold_before, include_pending=not refresh)
    run.summary = {
        **summary, "draft": draft.id,
        "hours": {"send": send_hours, "from": send_hours_from.isoformat() if send_hours_from else None, "held": held},
    }
    if held:
        run.message = _hours_held_message(held, send_hours, send_hours_from)
    run.status = SyncRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    connection_activate(
        tenant=tenant, by=by, employee_token=draft.employee_token or None, company_id=draft.tripletex_company_id,
        company_name=draft.tripletex_company_name, employee_name=draft.tripletex_employee_name, run=run,
        key_rights=draft.rights if draft.rights_checked_at else None,
    )
    draft.delete()
    return run


def _hours_held_message(held: int, send_hours: str, send_hours_from: dt.date | None) -> str:
    if send_hours == SEND_NONE:
        text = ngettext(
            "%(n)d godkjent føring er ikke sendt til Tripletex.",
            "%(n)d godkjente føringer er ikke sendt til Tripletex.", held,
        ) % {"n": held}
    else:
        text = ngettext(
            "%(n)d godkjent føring datert før %(date)s er ikke sendt til Tripletex.",
            "%(n)d godkjente føringer datert før %(date)s er ikke sendt til Tripletex.", held,
        ) % {"n": held, "date": date_format(send_hours_from, "d.m.Y")}
    later = _("De kan sendes senere med «Eksporter timer til Tripletex» på Timeoverføring.")
    return f"{text} {later}"


def _apply_kind(tenant: Tenant, draft: Draft, kind: str, run: SyncRun) -> dict:
    """Create, update and link one kind in batched statements: the queries grow with batches, never per row."""
    model = activation.MODELS[kind]
    company_id = draft.tripletex_company_id
    link_kind = activation.LINK_KINDS[kind]
    items = list(Item.objects.filter(draft=draft, kind=kind))
    chosen = [i for i in items if i.selected and i.action != Item.Action.SKIP]

    to_create = [i for i in chosen if i.action == Item.Action.CREATE]
    new_rows = [model(tenant=tenant, **activation.model_values(kind, i.data)) for i in to_create]
    # No batch size: Django then uses the largest batch the database takes (one statement on PostgreSQL).
    model.objects.bulk_create(new_rows)
    for item, row in zip(to_create, new_rows):
        item.local_id = row.id

    to_update = [i for i in chosen if i.action == Item.Action.UPDATE]
    if to_update:
        rows = model.objects.filter(tenant=tenant).in_bulk([i.local_id for i in to_update])
        for item in to_update:
            values = activation.model_values(kind, item.data)
            for field in item.changes:
                setattr(rows[item.local_id], field, values[field])
        model.objects.bulk_update(list(rows.values()), activation.FIELD_NAMES[kind] + ["updated_at"], batch_size=500)

    # Un-ticking an object that is linked unlinks it: the admin has said it is not to be used with Tripletex.
    # Its approved hours are then held for the link (integrations.hours) until it is chosen again.
    unlinking = Link.objects.filter(tenant=tenant, tripletex_company_id=company_id, kind=link_kind, tripletex_id__in=[
        i.tripletex_id for i in items if not i.selected and i.action != Item.Action.SKIP
    ])
    unlinked = set(unlinking.values_list("tripletex_id", flat=True))
    unlinking.delete()

    # Links: replace whatever pointed at these local rows or these Tripletex objects, in bulk.
    Link.objects.filter(tenant=tenant, tripletex_company_id=company_id, kind=link_kind).filter(
        Q(local_id__in=[i.local_id for i in chosen]) | Q(tripletex_id__in=[i.tripletex_id for i in chosen])
    ).delete()
    Link.objects.bulk_create([
        Link(tenant=tenant, tripletex_company_id=company_id, kind=link_kind, local_id=i.local_id,
             tripletex_id=i.tripletex_id, tripletex_version=i.tripletex_version)
        for i in chosen
    ])

    # Linked objects Tripletex takes no hours on any more (a project closed there …) keep their link, flagged,
    # so the approval page can warn without asking Tripletex; the rest are clear of it.
    codes = {i.tripletex_id: i.skip_code for i in items if i.action == Item.Action.SKIP and i.skip_code}
    for code in set(codes.values()):
        Link.objects.filter(tenant=tenant, tripletex_company_id=company_id, kind=link_kind, tripletex_id__in=[
            t for t, c in codes.items() if c == code
        ]).exclude(unusable=code).update(unusable=code)
    Link.objects.filter(tenant=tenant, tripletex_company_id=company_id, kind=link_kind).exclude(
        tripletex_id__in=list(codes)).exclude(unusable="").update(unusable="")

    # Objects linked before that Tripletex no longer has are flagged, not deleted: hours may hang on them.
    fetched_ids = [i.tripletex_id for i in items]
    links = Link.objects.filter(tenant=tenant, tripletex_company_id=company_id, kind=link_kind)
    missing = links.exclude(tripletex_id__in=fetched_ids)
    missing_count = missing.filter(missing_since__isnull=True).update(missing_since=timezone.now())
    links.filter(tripletex_id__in=fetched_ids, missing_since__isnull=False).update(missing_since=None)

    records = []
    for i in items:
        if i.action == Item.Action.SKIP:
            action, rule = SyncRecord.Action.SKIPPED, i.skip_reason
        elif not i.selected and i.tripletex_id in unlinked:
            action, rule = SyncRecord.Action.SKIPPED, UNLINKED_RULE
        elif not i.selected:
            action, rule = SyncRecord.Action.SKIPPED, _("Ikke valgt")
        else:
            action = {Item.Action.CREATE: SyncRecord.Action.CREATED, Item.Action.UPDATE: SyncRecord.Action.UPDATED}.get(
                i.action, SyncRecord.Action.LINKED)
            rule = ", ".join(i.changes) if i.action == Item.Action.UPDATE else ""
        records.append(SyncRecord(
            tenant=tenant, run=run, object_kind=kind, local_id=i.local_id, tripletex_id=i.tripletex_id,
            label=f"{i.number} {i.name}".strip()[:300], action=action, rule=str(rule)[:300],
        ))
    SyncRecord.objects.bulk_create(records)
    counts = {a: 0 for a in ("created", "updated", "linked", "skipped")}
    for r in records:
        counts[r.action] += 1
    counts["missing"] = missing_count
    counts["unlinked"] = len(unlinked)
    return counts
