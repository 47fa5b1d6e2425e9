"""State changes of a company's Tripletex connection, and the upkeep of its sync log."""
import datetime as dt
import logging

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from tenants.models import Tenant, User

from . import hours
from .connectors import webhooks
from .models import Connection, ConnectionEvent, SyncRecord, SyncRun

logger = logging.getLogger("integrations")


def connection_get_for_update(*, tenant: Tenant) -> Connection:
    """The company's connection row, locked for this transaction (made on first use)."""
    connection, _ = Connection.objects.get_or_create(tenant=tenant)
    return Connection.objects.select_for_update().get(pk=connection.pk)


def connection_activate(
    *, tenant: Tenant, by: User, employee_token: str | None, company_id: int, company_name: str,
    employee_name: str, run: SyncRun,
) -> Connection:
    """Ferdigstill: make the connection active. `employee_token=None` keeps the stored one (a refresh).

    Must run inside the transaction that applies the wizard's choices.
    """
    connection = connection_get_for_update(tenant=tenant)
    now = timezone.now()
    was_active = connection.is_active
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
    # Connectors left switched on through a removal want their webhooks back.
    transaction.on_commit(lambda: _enqueue_subscriptions_sync(tenant_id=tenant.id), robust=True)
    transaction.on_commit(lambda: hours.on_connection_activated(tenant_id=tenant.id))
    transaction.on_commit(lambda: _enqueue_local_changes(tenant_id=tenant.id), robust=True)
    return connection


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
        if connection.state != Connection.State.ACTIVE:
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
