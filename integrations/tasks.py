"""Thin Celery tasks for the hours push: ids in, scope entered, one service called.

Fairness: a task sends a bounded number of batches for one company and then queues itself again
behind everyone else; a company Tripletex rate-limits is rescheduled after the reset instead of
sleeping on a worker.
"""
from celery import shared_task
from django_scopes import scope, scopes_disabled

from tenants.models import Tenant

from .hours import push
from .hours.config import conf


def enqueue_push(*, tenant_id: int, countdown: float | None = None) -> None:
    options = {"queue": conf("HOURS_QUEUE")} if conf("HOURS_QUEUE") else {}
    push_hours.apply_async(kwargs={"tenant_id": tenant_id}, countdown=countdown, **options)


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
