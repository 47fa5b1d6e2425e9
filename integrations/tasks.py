"""Thin Celery tasks for the hours push and the connectors: ids in, scope entered, one service called.

Fairness: a task sends a bounded number of batches for one company and then queues itself again
behind everyone else; a company Tripletex rate-limits is rescheduled after the reset instead of
sleeping on a worker.
"""
import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from tenants.models import Tenant

from .hours import push
from .tripletex import RateLimited, TripletexError

logger = logging.getLogger("integrations.tasks")


def enqueue_push(*, tenant_id: int, countdown: float | None = None) -> None:
    push_hours.apply_async(kwargs={"tenant_id": tenant_id}, countdown=countdown)


@shared_task(acks_late=True, ignore_result=True)
def push_hours(tenant_id: int) -> None:
    with scopes_disabled():
        tenant = Tenant.objects.filter(id=tenant_id).first()
    if tenant is None:
        return
    with scope(tenant=tenant):
        outcome = push.hours_push_pending(tenant=tenant)
    if outcome.retry_after is not None:
        enqueue_push(tenant_id=tenant_id, countdown=outcome.retry_after)
    elif outcome.more:
        enqueue_push(tenant_id=tenant_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep_hours() -> None:
    """Every minute (beat): reclaim dead workers' claims and push whatever was left behind."""
    with scopes_disabled():
        tenant_ids = push.hours_sweep()
    for tenant_id in tenant_ids:
        enqueue_push(tenant_id=tenant_id)


@shared_task(acks_late=True, ignore_result=True)
def recheck_locked_hours(tenant_id: int) -> None:
    """Look again at a company's periods Tripletex had locked; hours in those opened since go to the queue."""
    from .hours.corrections import hour_corrections_recheck

    with scopes_disabled():
        tenant = Tenant.objects.filter(id=tenant_id).first()
    if tenant is None:
        return
    with scope(tenant=tenant):
        hour_corrections_recheck(tenant=tenant)


@shared_task(acks_late=True, ignore_result=True)
def recheck_locked_hours_all() -> None:
    """Every 15 minutes (beat): each company whose locked hours are due for another look (HOURS_LOCKED_RECHECK)."""
    from .hours.corrections import hours_locked_due

    with scopes_disabled():
        tenant_ids = hours_locked_due()
    for tenant_id in tenant_ids:
        recheck_locked_hours.delay(tenant_id=tenant_id)


# --- connectors -------------------------------------------------------------------------------------

@shared_task(acks_late=True, ignore_result=True)
def connector_run(run_id: int) -> None:
    """A queued reconcile run ("Synkroniser nå", the schedule, a connector switched on)."""
    from .connectors.runner import connector_run_execute
    from .models import SyncRun

    with scopes_disabled():
        run = SyncRun.objects.select_related("tenant").filter(id=run_id).first()
    if run is None:
        return
    with scope(tenant=run.tenant):
        connector_run_execute(run=run)


@shared_task(acks_late=True, ignore_result=True)
def inventory_startup(run_id: int) -> None:
    """The start-up copy from Tripletex of seed 003 ("Start oppstartssynkronisering")."""
    from .connectors.inventory.startup import startup_execute
    from .models import SyncRun

    with scopes_disabled():
        run = SyncRun.objects.select_related("tenant").filter(id=run_id).first()
    if run is None:
        return
    with scope(tenant=run.tenant):
        startup_execute(run=run)


@shared_task(acks_late=True, ignore_result=True)
def journal_send(run_id: int, journal_id: int) -> None:
    """A journal of invoices ("bunt", seed 002) sent to Tripletex as invoiced orders: "Send" or "Prøv igjen"."""
    from commerce.models import InvoiceJournal

    from .connectors.customer_import.journal import journal_run_execute
    from .models import SyncRun

    with scopes_disabled():
        run = SyncRun.objects.select_related("tenant").filter(id=run_id).first()
    if run is None:
        return
    with scope(tenant=run.tenant):
        journal = InvoiceJournal.objects.filter(tenant=run.tenant, id=journal_id).first()
        if journal is not None:
            journal_run_execute(run=run, journal=journal)


@shared_task(acks_late=True, ignore_result=True)
def nightly_reconcile() -> None:
    """Every 10 minutes (beat): start each company's nightly runs once its time between 01:00 and 05:00 has come."""
    from .connectors.schedule import nightly_runs_request

    nightly_runs_request()


@shared_task(acks_late=True, ignore_result=True)
def interval_runs() -> None:
    """Every minute (beat): start the runs of connectors whose own interval (an option, e.g. the customer
    import's every 15 minutes) has passed."""
    from .connectors.schedule import interval_runs_request

    interval_runs_request()


@shared_task(acks_late=True, ignore_result=True)
def remote_changes_collect(run_id: int) -> None:
    """The nightly look for "Endret i Tripletex" of a company that uses only the wizard."""
    from .connectors.remote_changes import remote_changes_run
    from .models import SyncRun

    with scopes_disabled():
        run = SyncRun.objects.select_related("tenant").filter(id=run_id).first()
    if run is None:
        return
    with scope(tenant=run.tenant):
        remote_changes_run(run=run)


@shared_task(acks_late=True, ignore_result=True)
def push_local_changes(tenant_id: int) -> None:
    """Send a company's queued local changes of master data to Tripletex."""
    from .connectors.runner import outbound_changes_push

    with scopes_disabled():
        tenant = Tenant.objects.filter(id=tenant_id).first()
    if tenant is None:
        return
    with scope(tenant=tenant):
        outcome = outbound_changes_push(tenant=tenant)
    if outcome.retry_after is not None:
        push_local_changes.apply_async(kwargs={"tenant_id": tenant_id}, countdown=outcome.retry_after)
    elif outcome.more:
        push_local_changes.delay(tenant_id=tenant_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep_local_changes() -> None:
    """Every minute (beat): put back dead workers' claims and send what the broker lost or a retry waits for."""
    from .connectors.runner import outbound_changes_sweep

    with scopes_disabled():
        tenant_ids = outbound_changes_sweep()
    for tenant_id in tenant_ids:
        push_local_changes.delay(tenant_id=tenant_id)


@shared_task(acks_late=True, ignore_result=True)
def webhook_subscriptions_sync(tenant_id: int) -> None:
    """Make the company's Tripletex webhook subscriptions match the connectors switched on."""
    from .connectors import webhooks

    with scopes_disabled():
        tenant = Tenant.objects.filter(id=tenant_id).first()
    if tenant is None:
        return
    with scope(tenant=tenant):
        webhooks.subscriptions_sync(tenant=tenant)


@shared_task(acks_late=True, ignore_result=True)
def webhook_process(delivery_id: int) -> None:
    """Hand one accepted webhook delivery to the connectors that subscribe to its event."""
    from .connectors import webhooks
    from .models import WebhookDelivery

    with scopes_disabled():
        delivery = WebhookDelivery.objects.select_related("tenant").filter(id=delivery_id).first()
    if delivery is None or delivery.processed_at is not None:
        return
    try:
        with scope(tenant=delivery.tenant):
            webhooks.delivery_process(delivery=delivery)
    except RateLimited as exc:
        webhook_process.apply_async(kwargs={"delivery_id": delivery_id}, countdown=max(1.0, exc.reset_after or 5.0))
    except TripletexError as exc:
        # Transient (Tripletex down, an answer lost): the housekeeping check hands the delivery on again.
        logger.warning("webhook delivery %s not processed yet: %s", delivery_id, exc.message)


@shared_task(acks_late=True, ignore_result=True)
def webhook_subscriptions_check(tenant_id: int) -> None:
    """Re-enable the company's subscriptions Tripletex disabled, and reconcile what they missed."""
    from .connectors import webhooks

    with scopes_disabled():
        tenant = Tenant.objects.filter(id=tenant_id).first()
    if tenant is None:
        return
    with scope(tenant=tenant):
        webhooks.subscriptions_check(tenant=tenant)


@shared_task(acks_late=True, ignore_result=True)
def webhook_subscriptions_check_all() -> None:
    """Every 15 minutes (beat): check each company's subscriptions, and queue again deliveries whose task was lost."""
    from .connectors import webhooks

    with scopes_disabled():
        tenant_ids = webhooks.tenants_to_check()
        delivery_ids = webhooks.deliveries_housekeeping()
    for tenant_id in tenant_ids:
        webhook_subscriptions_check.delay(tenant_id=tenant_id)
    for delivery_id in delivery_ids:
        webhook_process.delay(delivery_id=delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def connector_reread(tenant_id: int, connector_name: str, kind: str, tripletex_id: int) -> None:
    """"Prøv igjen" on a failed record from Tripletex: the connector reads the object again and applies it."""
    from .connectors.runner import remote_change_process

    tenant = Tenant.objects.filter(id=tenant_id).first()
    if tenant is None:
        return
    with scope(tenant=tenant):
        # Logged like the change from Tripletex it retries; the handler reads the object as it is now.
        remote_change_process(tenant=tenant, connector_name=connector_name, kind=kind, tripletex_id=tripletex_id,
                              event=f"{kind}.update")


@shared_task(ignore_result=True)
def prune_sync_log() -> None:
    """Daily (beat): delete sync records older than SYNC_LOG_DAYS, and runs left empty, company by company."""
    from .services import sync_log_prune

    before = timezone.now() - dt.timedelta(days=settings.SYNC_LOG_DAYS)
    # Companies are not tenant-owned rows: listing them needs no unscoped access; each prune runs in its scope.
    for tenant in Tenant.objects.order_by("id").iterator():
        with scope(tenant=tenant):
            sync_log_prune(tenant=tenant, before=before)
