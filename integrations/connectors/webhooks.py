"""Tripletex webhooks for connectors: subscriptions made and removed with the connectors, and deliveries."""
from __future__ import annotations

from tenants.models import Tenant


def subscriptions_sync(*, tenant: Tenant) -> None:
    """Subscribe to the events of every connector switched on, and unsubscribe from the rest."""
