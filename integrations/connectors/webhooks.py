"""Tripletex webhooks for connectors: subscriptions made and removed with the connectors, and deliveries.

Each subscription points at `SITE_URL/webhooks/tripletex/<webhook_key>/` and carries the connection's
secret in its Authorization header (and as the key of an HMAC over the body). A delivery is checked and
stored here, then handed to a task: the connector re-reads the object and compares versions, so a late,
repeated or out-of-order delivery changes nothing it should not. Tripletex posts only to a public HTTPS
address; without one, the connectors' reconcile still brings every change, only later.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from tenants.models import Tenant

from ..clients import client_for_connection
from ..models import Connection, ConnectorConfig, SyncRun, WebhookDelivery, WebhookSubscription
from ..tripletex import InDoubt, NotFound, TripletexClient, TripletexError
from ..tripletex.retry import RetryPolicy
from . import registry
from .runner import remote_change_process
from .services import connector_run_request, enabled_connectors

logger = logging.getLogger("integrations.webhooks")

AUTH_HEADER = "Authorization"
# What a delivery carries of the object: enough to tell versions apart; the connector re-reads the rest.
FIELDS = "id,version"
ACTIVE = "ACTIVE"
DISABLED_TOO_MANY_ERRORS = "DISABLED_TOO_MANY_ERRORS"
# Removing the integration waits at most this long on Tripletex before it forgets the token anyway.
REMOVAL_BUDGET_S = 8.0
# A delivery not processed after this long lost its task (broker down at commit, worker killed): queue it
# again, until it is older than the last bound, when the connectors' reconcile has it covered.
REQUEUE_AFTER = dt.timedelta(minutes=2)
REQUEUE_UNTIL = dt.timedelta(hours=1)
# Deliveries are kept this long, for the duplicate check; Tripletex retries within hours, not days.
KEEP_DELIVERIES = dt.timedelta(days=7)


# --- subscriptions ---------------------------------------------------------------------------------

def target_url(connection: Connection) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("tripletex_webhook", kwargs={"key": connection.webhook_key})


def wanted_events(*, tenant: Tenant) -> dict[str, str]:
    """Event → the connector that asked for it first, over every connector switched on (none while not active)."""
    wanted: dict[str, str] = {}
    for connector in enabled_connectors(tenant=tenant):
        for event in connector.events:
            wanted.setdefault(event, connector.name)
    return wanted


def subscriptions_sync(*, tenant: Tenant) -> None:
    """Subscribe to the events of every connector switched on, and unsubscribe from the rest.

    Only subscriptions we recorded are ever deleted. Safe to run any number of times: a create whose
    answer was lost is found again by its event and our target URL, which no one else can know.
    """
    connection = Connection.objects.filter(tenant=tenant).first()
    if connection is None or not connection.is_active:
        return  # without a token nothing can be called; removal deleted what it could
    wanted = wanted_events(tenant=tenant)
    ours = {s.event: s for s in _ours(connection)}
    missing = [event for event in wanted if event not in ours]
    unwanted = [sub for event, sub in ours.items() if event not in wanted]
    if not missing and not unwanted:
        return
    secret = _secret(connection)
    url = target_url(connection)
    with client_for_connection(connection) as client:
        for sub in unwanted:
            _delete(client, sub)
        if not missing:
            return
        try:
            found = _find_ours(client, url, known={s.tripletex_id for s in ours.values()})
        except TripletexError as exc:
            _log_failure("list", tenant, exc)
            return
        for event in missing:
            remote = found.get(event) or _create(client, event=event, url=url, secret=secret, tenant=tenant)
            if remote is not None:
                _record(client, connection, event=event, connector=wanted[event], remote=remote)


def subscriptions_remove(*, connection: Connection) -> None:
    """Before the token is forgotten: delete our subscriptions in Tripletex, as far as a short wait allows.

    A failure does not stop the removal; what could not be deleted keeps its row, and its deliveries are
    refused while the connection is not active.
    """
    if not connection.is_active:
        return
    subs = list(_ours(connection))
    if not subs:
        return
    deadline = time.monotonic() + REMOVAL_BUDGET_S
    quick = {"connect_timeout": 2.0, "read_timeout": 3.0, "retry": RetryPolicy(attempts=1), "max_rate_limit_wait": 0.0}
    with client_for_connection(connection, **quick) as client:
        for sub in subs:
            # One failure means Tripletex is unreachable or refuses us; the rest would only make the admin wait.
            if time.monotonic() > deadline or not _delete(client, sub):
                return


def subscriptions_check(*, tenant: Tenant) -> None:
    """Switch our subscriptions Tripletex disabled after failed deliveries on again, make the ones deleted
    there again, and have each connector concerned reconcile what the lost deliveries carried."""
    connection = Connection.objects.filter(tenant=tenant).first()
    if connection is None or not connection.is_active:
        return
    ours = list(_ours(connection))
    missed: set[str] = set()
    if ours:
        with client_for_connection(connection) as client:
            try:
                remote = {s["id"]: s for s in client.event_subscription_list(fields="id,version,event,status")}
            except TripletexError as exc:
                _log_failure("list", tenant, exc)
                return
            now = timezone.now()
            for sub in ours:
                found = remote.get(sub.tripletex_id)
                if found is None:
                    # Deleted in Tripletex: `subscriptions_sync` below makes it again.
                    sub.delete()
                    missed.add(sub.event)
                    continue
                status = found.get("status") or ""
                if status == DISABLED_TOO_MANY_ERRORS:
                    try:
                        status = client.event_subscription_update(
                            sub.tripletex_id, {"status": ACTIVE}, version=found["version"],
                        ).get("status") or ACTIVE
                    except TripletexError as exc:
                        _log_failure("re-enable", tenant, exc)
                    missed.add(sub.event)
                elif status != ACTIVE:
                    # Disabled by an admin or for misuse: that is Tripletex's call, not ours to undo.
                    logger.warning("webhook subscription %s of tenant %s is %s", sub.tripletex_id, tenant.id, status)
                sub.status, sub.checked_at = status, now
                sub.save(update_fields=["status", "checked_at", "updated_at"])
    subscriptions_sync(tenant=tenant)
    for connector in enabled_connectors(tenant=tenant):
        if connector.reconcile is not None and missed.intersection(connector.events):
            connector_run_request(tenant=tenant, name=connector.name, trigger=SyncRun.Trigger.SCHEDULE)


def tenants_to_check() -> list[int]:
    """Companies whose subscriptions the beat checks: active, with subscriptions or a connector that wants some.

    Runs unscoped.
    """
    with_events = [c.name for c in registry.all_connectors() if c.events]
    active = Connection.objects.filter(state=Connection.State.ACTIVE)
    subscribed = WebhookSubscription.objects.filter(tenant__in=active.values("tenant"))
    wanting = ConnectorConfig.objects.filter(tenant__in=active.values("tenant"), enabled=True, name__in=with_events)
    return sorted(set(subscribed.values_list("tenant_id", flat=True)) | set(wanting.values_list("tenant_id", flat=True)))


def _ours(connection: Connection):
    return WebhookSubscription.objects.filter(
        tenant_id=connection.tenant_id, tripletex_company_id=connection.tripletex_company_id,
    ).order_by("id")


def _secret(connection: Connection) -> str:
    """The connection's webhook secret, made on first use; it outlives a removal so reconnecting keeps it."""
    if connection.webhook_secret:
        return connection.webhook_secret
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        if not locked.webhook_secret:
            locked.webhook_secret = secrets.token_urlsafe(32)
            locked.save(update_fields=["webhook_secret", "updated_at"])
    connection.webhook_secret = locked.webhook_secret
    return connection.webhook_secret


def _hmac_key(secret: str) -> bytes:
    # Its own key, derived rather than stored: the bearer secret travels in every request, this one never.
    return hmac.new(secret.encode(), b"tripletex-webhook-signature", hashlib.sha256).hexdigest().encode()


def _find_ours(client: TripletexClient, url: str, *, known: set[int]) -> dict[str, dict]:
    """Subscriptions in Tripletex with our target URL that we have no row for: made by a create whose answer
    was lost. One per event is kept; a second one is ours too (no one else knows the URL) and is deleted."""
    found: dict[str, dict] = {}
    for remote in client.event_subscription_list(fields="id,version,event,targetUrl,status"):
        if remote.get("targetUrl") != url or remote["id"] in known:
            continue
        if remote.get("event") in found:
            _delete_remote(client, remote["id"])
        else:
            found[remote["event"]] = remote
    return found


def _create(client: TripletexClient, *, event: str, url: str, secret: str, tenant: Tenant) -> dict | None:
    body = {
        "event": event, "targetUrl": url, "fields": FIELDS, "authHeaderName": AUTH_HEADER,
        "authHeaderValue": f"Bearer {secret}", "hmacSharedSecret": _hmac_key(secret).decode(),
    }
    try:
        return client.event_subscription_create(body)
    except InDoubt:
        try:
            return _find_ours(client, url, known=set()).get(event)
        except TripletexError as exc:
            _log_failure("list", tenant, exc)
            return None  # the next sync looks again before it creates
    except TripletexError as exc:
        _log_failure(f"subscribe to {event}", tenant, exc)
        return None


def _record(client: TripletexClient, connection: Connection, *, event: str, connector: str, remote: dict) -> None:
    try:
        with transaction.atomic():
            WebhookSubscription.objects.create(
                tenant_id=connection.tenant_id, connector=connector, event=event,
                tripletex_company_id=connection.tripletex_company_id, tripletex_id=remote["id"],
                status=remote.get("status") or "", checked_at=timezone.now(),
            )
    except IntegrityError:
        # A sync running beside this one recorded the event first. If it recorded another subscription than
        # this one (it may have found this one in its list and taken it), the one made here is a spare.
        recorded = WebhookSubscription.objects.filter(
            tenant_id=connection.tenant_id, tripletex_company_id=connection.tripletex_company_id, event=event,
        ).values_list("tripletex_id", flat=True).first()
        if recorded != remote["id"]:
            _delete_remote(client, remote["id"])


def _delete(client: TripletexClient, sub: WebhookSubscription) -> bool:
    if not _delete_remote(client, sub.tripletex_id):
        return False
    sub.delete()
    return True


def _delete_remote(client: TripletexClient, subscription_id: int) -> bool:
    try:
        client.event_subscription_delete(subscription_id)
    except NotFound:
        pass  # already gone
    except TripletexError as exc:
        logger.warning("could not delete webhook subscription %s: %s (request %s)", subscription_id, exc.message,
                       exc.request_id)
        return False
    return True


def _log_failure(what: str, tenant: Tenant, exc: TripletexError) -> None:
    logger.warning("webhooks: %s failed for tenant %s: %s (request %s)", what, tenant.id, exc.message, exc.request_id)


# --- deliveries ------------------------------------------------------------------------------------

class Refused(Exception):
    """A delivery we do not take; `status` is the HTTP answer."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Payload:
    subscription_id: int
    event: str
    tripletex_id: int
    version: int | None


def delivery_accept(
    *, connection: Connection, authorization: str, signature: str | None, idempotency_key: str | None, body: bytes,
) -> WebhookDelivery | None:
    """Check that a delivery is Tripletex's for this connection and store it for `webhook_process`.

    Returns None for a repeat of one already stored. Raises `Refused`. Calls nothing outside our
    database: Tripletex waits on the answer.
    """
    secret = connection.webhook_secret
    if not secret:
        raise Refused(404, "no subscriptions were ever made for this connection")
    if not hmac.compare_digest(authorization.encode(), f"Bearer {secret}".encode()):
        raise Refused(403, "wrong or missing secret")
    if signature is not None:
        expected = hmac.new(_hmac_key(secret), (idempotency_key or "").encode() + b"&" + body, hashlib.sha512)
        if not hmac.compare_digest(signature.encode(), base64.b64encode(expected.digest())):
            raise Refused(403, "wrong signature")
    # Taken while the connection waits for a new key (kept for then), refused once it is removed.
    if not connection.is_connected:
        raise Refused(410, "the integration is removed")
    payload = _parse(body)
    if not WebhookSubscription.objects.filter(
        tenant_id=connection.tenant_id, tripletex_company_id=connection.tripletex_company_id,
        tripletex_id=payload.subscription_id, event=payload.event,
    ).exists():
        # Not one of the current company's subscriptions (one left from before a reconnect to another
        # company, or already deleted): refused, so Tripletex stops sending it.
        raise Refused(410, "not our subscription")
    if idempotency_key:
        key = f"idem:{idempotency_key}"
    else:
        key = f"sub:{payload.subscription_id}:{payload.event}:{payload.tripletex_id}:{payload.version}"
    if len(key) > 200:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                tenant_id=connection.tenant_id, key=key, event=payload.event, tripletex_id=payload.tripletex_id,
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: _enqueue_process(delivery_id=delivery.id), robust=True)
    return delivery


def _parse(body: bytes) -> Payload:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise Refused(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, "body is not a JSON object")
    event, tripletex_id, subscription_id = data.get("event"), data.get("id"), data.get("subscriptionId")
    # Event names are ASCII words ("project.update"); a NUL in one would reach PostgreSQL, which refuses it.
    if not (isinstance(event, str) and "." in event and len(event) <= 60 and event.isascii() and event.isprintable()):
        raise Refused(400, "no event")
    if not _is_id(tripletex_id) or not _is_id(subscription_id):
        raise Refused(400, "no id or subscriptionId")
    value = data.get("value")
    version = value.get("version") if isinstance(value, dict) else None
    return Payload(subscription_id=subscription_id, event=event, tripletex_id=tripletex_id,
                   version=version if _is_id(version) else None)


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2 ** 63


def delivery_process(*, delivery: WebhookDelivery) -> None:
    """Hand a stored delivery to every connector switched on that subscribes to its event.

    While the connection waits for a new key the delivery is left as it is; the new key hands it on again.
    """
    if Connection.objects.filter(tenant_id=delivery.tenant_id, state=Connection.State.NEEDS_TOKEN).exists():
        return
    kind = delivery.event.split(".", 1)[0]
    for connector in enabled_connectors(tenant=delivery.tenant):
        if delivery.event in connector.events and connector.handle_remote_change is not None:
            remote_change_process(tenant=delivery.tenant, connector_name=connector.name, kind=kind,
                                  tripletex_id=delivery.tripletex_id, event=delivery.event)
    WebhookDelivery.objects.filter(id=delivery.id).update(processed_at=timezone.now())


def deliveries_housekeeping() -> list[int]:
    """Forget old deliveries; the ids of recent ones whose task was lost. Runs unscoped."""
    now = timezone.now()
    WebhookDelivery.objects.filter(created_at__lt=now - KEEP_DELIVERIES).delete()
    lost = WebhookDelivery.objects.filter(
        processed_at__isnull=True, created_at__lt=now - REQUEUE_AFTER, created_at__gte=now - REQUEUE_UNTIL,
    )
    return list(lost.values_list("id", flat=True))


def _enqueue_process(*, delivery_id: int) -> None:
    from ..tasks import webhook_process

    webhook_process.delay(delivery_id=delivery_id)
