"""Upkeep of the API's own rows."""
from celery import shared_task

from .services import idempotency_keys_prune


@shared_task(acks_late=True, ignore_result=True)
def prune_idempotency_keys() -> None:
    idempotency_keys_prune()
