"""State changes of a company's Tripletex connection (its health too: a key Tripletex stopped taking, the
rights of the key's user), and the upkeep of its sync log."""
import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scope

from tenants.models import Membership, Tenant, User

from . import hours, rights
from .clients import environment_hint
from .connectors import webhooks
from .models import Connection, ConnectionEvent, SyncRecord, SyncRun, WebhookDelivery
from .tripletex import TripletexError, Unauthorized
from .tripletex.errors import TokenProblem, describe, token_problem

logger = logging.getLogger("integrations")


def connection_get_for_update(*, tenant: Tenant) -> Connection:
    """The company's connection row, locked for this transaction (made on first use)."""
    connection, _ = Connection.objects.get_or_create(tenant=tenant)
    return Connection.objects.select_for_update().get(pk=connection.pk)


def connection_activate(
    *, tenant: Tenant, by: User, employee_token: str | None, company_id: int, company_name: str,
    employee_name: str, run: SyncRun, key_rights: dict | None = None,
) -> Connection:
    """Ferdigstill: make the connection active. `employee_token=None` keeps the stored one (a refresh).
    `key_rights`: step 1's checklist of the key, kept to show on the card.

    Must run inside the transaction that applies the wizard's choices.
    """
    connection = connection_get_for_update(tenant=tenant)
    now = timezone.now()
    # A connection waiting for a new key is still set up: Ferdigstill is then a refresh that resumes it.
    was_active = connection.is_connected
    if employee_token is not None:
        token_changed = bool(connection.employee_token) and connection.employee_token != employee_token
        connection.employee_token = employee_token
    else:
        token_changed = False
    if not connection.employee_token:
        raise ValueError("An active connection needs an employee token")
    connection.state = Connection.State.ACTIVE
    connection.tripletex_company_id = company_id
    connection.tripletex_company_name = company_name
    connection.tripletex_employee_name = employee_name
    if not was_active:
        connection.connected_at = now
    connection.last_refreshed_at = now
    _token_works(connection)
    if key_rights is not None:
        connection.rights = key_rights
    connection.save()
    event = ConnectionEvent.Action.REFRESHED if was_active else ConnectionEvent.Action.CONNECTED
    ConnectionEvent.objects.create(
        tenant=tenant, action=event, by=by, tripletex_company_id=company_id, tripletex_company_name=company_name, run=run,
    )
    if token_changed:
        ConnectionEvent.objects.create(
            tenant=tenant, action=ConnectionEvent.Action.TOKEN_REPLACED, by=by, tripletex_company_id=company_id,
            tripletex_company_name=company_name,
        )
    _resume_on_commit(tenant)
    return connection


def _resume_on_commit(tenant: Tenant) -> None:
    """Everything that waited for an active connection with a working key goes now (idempotent, so twice is fine)."""
    # Connectors left switched on through a removal want their webhooks back.
    transaction.on_commit(lambda: _enqueue_subscriptions_sync(tenant_id=tenant.id), robust=True)
    transaction.on_commit(lambda: hours.on_connection_activated(tenant_id=tenant.id))
    transaction.on_commit(lambda: _enqueue_local_changes(tenant_id=tenant.id), robust=True)
    transaction.on_commit(lambda: _enqueue_waiting_deliveries(tenant_id=tenant.id), robust=True)


def _token_works(connection: Connection) -> None:
    connection.token_refused_at = connection.admins_notified_at = None
    connection.token_refusal = connection.token_refusal_request_id = ""


def connection_token_replace(
    *, tenant: Tenant, by: User, employee_token: str, company_id: int, employee_name: str, key_rights: dict,
) -> Connection:
    """The short way back from "Trenger ny API-nøkkel": a new key for the same Tripletex company, checked at
    step 1, replaces the refused one and everything that waited resumes; choices and links stay as they were.

    Raises ValueError when the connection is not set up, or the key is for another Tripletex company (that
    needs the whole wizard: links to one company mean nothing in another).
    """
    with transaction.atomic():
        connection = connection_get_for_update(tenant=tenant)
        if not connection.is_connected or connection.tripletex_company_id != company_id:
            raise ValueError("A new key replaces a refused one only for the Tripletex company already connected")
        replaced = connection.employee_token != employee_token
        connection.employee_token = employee_token
        connection.tripletex_employee_name = employee_name
        connection.state = Connection.State.ACTIVE
        connection.rights = key_rights
        _token_works(connection)
        connection.save()
        # The stored key working again (its user made active again in Tripletex) is no new key.
        action = ConnectionEvent.Action.TOKEN_REPLACED if replaced else ConnectionEvent.Action.REFRESHED
        ConnectionEvent.objects.create(
            tenant=tenant, action=action, by=by, tripletex_company_id=company_id,
            tripletex_company_name=connection.tripletex_company_name,
        )
        _resume_on_commit(tenant)
    return connection


def is_key_refusal(exc: TripletexError) -> bool:
    """Tripletex refused the company's key itself (401 after a renewal, or no session made from it), not our
    consumer token, which would be our fault and every company's."""
    return isinstance(exc, Unauthorized) and token_problem(exc) != TokenProblem.CONSUMER


def connection_token_refused(*, connection: Connection, exc: TripletexError) -> bool:
    """Tripletex refused the stored key: the connection waits for a new one ("Trenger ny API-nøkkel").

    `connection` is the row the caller worked with: a refusal of a key already replaced changes nothing.
    True for the one call that made the connection wait; only that call tells the admins, so each admin gets
    one e-mail however many workers were refused.
    """
    if not is_key_refusal(exc):
        return False
    now = timezone.now()
    with transaction.atomic():
        current = Connection.objects.select_for_update().filter(pk=connection.pk).first()
        if current is None or not current.is_active or current.employee_token != connection.employee_token:
            return False
        current.state = Connection.State.NEEDS_TOKEN
        current.token_refused_at = now
        current.token_refusal = describe(exc)
        current.token_refusal_request_id = exc.request_id or ""
        current.save()
        ConnectionEvent.objects.create(
            tenant_id=current.tenant_id, action=ConnectionEvent.Action.TOKEN_REFUSED,
            tripletex_company_id=current.tripletex_company_id, tripletex_company_name=current.tripletex_company_name,
        )
        transaction.on_commit(
            lambda: _notify_admins_token_refused(tenant_id=current.tenant_id, connection_id=current.pk), robust=True,
        )
    logger.warning("Tripletex refused the key of tenant %s; transfers wait for a new one (request %s)",
                   current.tenant_id, exc.request_id)
    return True


def _notify_admins_token_refused(*, tenant_id: int, connection_id: int) -> None:
    # Runs when the caller's transaction commits, which may be after the caller left its company's scope.
    with scope(tenant=tenant_id):
        _notify_admins_in_scope(connection_id=connection_id)


def _notify_admins_in_scope(*, connection_id: int) -> None:
    connection = Connection.objects.select_related("tenant").filter(
        pk=connection_id, state=Connection.State.NEEDS_TOKEN, admins_notified_at__isnull=True,
    ).first()
    if connection is None:
        return
    admins = Membership.objects.filter(
        tenant_id=connection.tenant_id, role=Membership.Role.ADMIN, user__is_active=True,
    ).exclude(user__email="").select_related("user")
    url = settings.SITE_URL.rstrip("/") + reverse("wizard:step", kwargs={"step": "api-nokkel"})
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Tripletex godtar ikke lenger API-nøkkelen til %(company)s") % {"company": connection.tenant.name}
        for membership in admins:
            body = "\n\n".join([
                _("Hei %(name)s,") % {"name": membership.user.first_name or membership.user.email},
                _("Tripletex godtar ikke lenger API-nøkkelen som %(company)s bruker. Nøkkelen kan være slettet eller "
                  "utløpt, eller brukeren den ble laget av, kan være deaktivert i Tripletex.")
                % {"company": connection.tenant.name},
                _("Til en ny nøkkel er lagt inn, sendes ingenting til Tripletex. Ingenting går tapt: godkjente timer "
                  "og endringer venter og sendes når nøkkelen er på plass."),
                _("Lag en ny API-nøkkel i Tripletex og lim den inn her: %(url)s") % {"url": url},
                _("Tripletex svarte: %(message)s") % {"message": connection.token_refusal or "–"},
                environment_hint(),
            ])
            try:
                send_mail(subject, body, None, [membership.user.email])
            except Exception:
                logger.exception("could not e-mail admin %s of tenant %s about the refused key",
                                 membership.user_id, connection.tenant_id)
    Connection.objects.filter(pk=connection.pk, admins_notified_at__isnull=True).update(
        admins_notified_at=timezone.now()
    )


def connection_right_refused(*, connection: Connection, exc: TripletexError) -> str | None:
    """Tripletex refused a call with 403: the right it needs is missing for the key's user. Recorded on the
    connection (the card and step 1 show it); returns the right's key, or None for a call of no known right."""
    right = rights.right_for_path(exc.path)
    if right is None:
        return None
    with transaction.atomic():
        current = Connection.objects.select_for_update().filter(pk=connection.pk).first()
        if current is not None and current.employee_token == connection.employee_token:
            result = rights.result(rights.MISSING, at=timezone.now(), exc=exc, learnt=rights.REFUSED)
            current.rights = {**current.rights, right.key: result}
            current.save(update_fields=["rights", "updated_at"])
    return right.key


def connection_right_confirmed(*, connection: Connection, key: str) -> None:
    """A write needing the right went through: a right recorded as missing is there now (granted meanwhile)."""
    if (connection.rights.get(key) or {}).get("state") != rights.MISSING:
        return
    with transaction.atomic():
        current = Connection.objects.select_for_update().filter(pk=connection.pk).first()
        if current is not None and (current.rights.get(key) or {}).get("state") == rights.MISSING:
            current.rights = {**current.rights, key: rights.result(rights.OK, at=timezone.now(),
                                                                  learnt=rights.REFUSED)}
            current.save(update_fields=["rights", "updated_at"])
            connection.rights = current.rights


def _enqueue_waiting_deliveries(*, tenant_id: int) -> None:
    """Webhook deliveries taken while the key did not work were kept unprocessed: hand them on now."""
    from .tasks import webhook_process

    for delivery_id in WebhookDelivery.objects.filter(
        tenant_id=tenant_id, processed_at__isnull=True
    ).values_list("id", flat=True):
        webhook_process.delay(delivery_id=delivery_id)


def _enqueue_subscriptions_sync(*, tenant_id: int) -> None:
    from .tasks import webhook_subscriptions_sync

    webhook_subscriptions_sync.delay(tenant_id=tenant_id)


def connection_remove(*, tenant: Tenant, by: User) -> Connection:
    """Fjern integrasjon: stop all transfers now and forget the token; history and links stay."""
    current = Connection.objects.filter(tenant=tenant).first()
    if current is not None and current.is_active:
        # The webhook subscriptions can be deleted only while we have the token; done before the row is
        # locked, so a slow Tripletex never holds it. Best effort: the removal goes on whatever happens.
        try:
            webhooks.subscriptions_remove(connection=current)
        except Exception:
            logger.exception("could not delete the webhook subscriptions of tenant %s before removal", tenant.id)
    with transaction.atomic():
        connection = connection_get_for_update(tenant=tenant)
        if not connection.is_connected:
            return connection
        connection.state = Connection.State.REMOVED
        connection.employee_token = ""
        connection.save()
        ConnectionEvent.objects.create(
            tenant=tenant, action=ConnectionEvent.Action.REMOVED, by=by,
            tripletex_company_id=connection.tripletex_company_id,
            tripletex_company_name=connection.tripletex_company_name,
        )
    return connection


def _enqueue_local_changes(*, tenant_id: int) -> None:
    from .tasks import push_local_changes

    push_local_changes.delay(tenant_id=tenant_id)


def sync_log_prune(*, tenant: Tenant, before: dt.datetime, batch_size: int = 2000) -> tuple[int, int]:
    """Delete the company's sync records older than `before`, and its runs from then left with none.

    In batches, each its own short transaction, so a year of logs never holds the database in one statement.
    Returns (records, runs) deleted.
    """
    records = _delete_in_batches(SyncRecord.objects.filter(tenant=tenant, created_at__lt=before), batch_size)
    empty_runs = SyncRun.objects.filter(tenant=tenant, created_at__lt=before).filter(
        ~Exists(SyncRecord.objects.filter(run_id=OuterRef("pk")))
    )
    runs = _delete_in_batches(empty_runs, batch_size)
    return records, runs


def _delete_in_batches(rows: QuerySet, batch_size: int) -> int:
    deleted = 0
    while ids := list(rows.order_by("id").values_list("id", flat=True)[:batch_size]):
        rows.model.objects.filter(id__in=ids).delete()
        deleted += len(ids)
    return deleted
