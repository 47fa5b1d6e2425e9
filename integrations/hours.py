"""Hooks through which approved hours reach Tripletex.

The approve service calls the first two inside its transaction; connection_activate calls the
third after commit. Each writes the outbox (integrations.hours_services) and enqueues the push on
commit, so a task never runs before the rows it is meant to send exist.
"""
from django.db import transaction


def on_entries_approved(*, tenant, entry_ids: list[int]) -> None:
    from .hours_services import hour_transfers_record_approved

    if hour_transfers_record_approved(tenant=tenant, entry_ids=entry_ids):
        enqueue_push_on_commit(tenant_id=tenant.id)


def on_entries_unapproved(*, tenant, entry_ids: list[int]) -> None:
    from .hours_services import hour_transfers_record_unapproved

    if hour_transfers_record_unapproved(tenant=tenant, entry_ids=entry_ids):
        enqueue_push_on_commit(tenant_id=tenant.id)


def on_connection_activated(*, tenant_id: int) -> None:
    """Ferdigstill (first time or a refresh): what waited for a link, or for the connection, goes now."""
    from django_scopes import scope

    from tenants.models import Tenant

    from .hours_services import hour_transfers_release_held

    tenant = Tenant.objects.filter(id=tenant_id).first()
    if tenant is None:
        return
    with scope(tenant=tenant):
        hour_transfers_release_held(tenant=tenant)
    enqueue_push_on_commit(tenant_id=tenant_id)


def enqueue_push_on_commit(*, tenant_id: int) -> None:
    from .tasks import enqueue_push

    # robust: a broker that is down must not undo an approval that has committed; the sweep sends it later.
    transaction.on_commit(lambda: enqueue_push(tenant_id=tenant_id), robust=True)
