"""Runs connectors' handlers against Tripletex: reconcile runs, the outbox of local changes, webhook events.

Every entry point checks, before it calls Tripletex, that the company's connection is active and the
connector is on, so removing the integration or switching a connector off stops it at the next step. A key
Tripletex refuses stops it too: the connection then waits for a new key, and what was being sent waits with
it, without an attempt counted.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.models import Tenant

from ..clients import pooled_client_for_connection
from ..models import Connection, ConnectorConfig, OutboundChange, SyncRecord, SyncRun
from ..tripletex import RateLimited, TripletexError
from . import registry
from .base import Connector, Deferred, RunStopped, SyncContext

logger = logging.getLogger("integrations.connectors")

# A local change that keeps failing stops at "failed" for the admin's "Prøv igjen" after this many tries.
MAX_ATTEMPTS = 6
# Changes one push task sends before it queues itself again behind other companies.
CHANGES_PER_TASK = 50

# A handler sets this as a change's message before a create whose answer may be lost (see `_put_back`).
IN_DOUBT = "in_doubt"


def worker_id() -> str:
    """Who holds a claim: this host and process, read at claim time. A value kept from import would name the
    Celery worker's parent in every pool child it forks, so a claim left by a child that died looked alive."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _live(tenant: Tenant, name: str) -> tuple[Connection, ConnectorConfig] | None:
    connection = Connection.objects.filter(tenant=tenant).first()
    if connection is None or not connection.is_active:
        return None
    config = ConnectorConfig.objects.filter(tenant=tenant, name=name, enabled=True).first()
    if config is None:
        return None
    return connection, config


def context(*, tenant: Tenant, connector: Connector, run: SyncRun) -> SyncContext | None:
    """A handler's context, or None when the connection is not active or the connector is off."""
    live = _live(tenant, connector.name)
    if live is None:
        return None
    connection, config = live
    return SyncContext(tenant=tenant, connection=connection, client=pooled_client_for_connection(connection),
                       config=config, run=run)


def sync_run_finish(run: SyncRun, *, error: str = "") -> SyncRun:
    """Close a run with a status and per-action counts that the log pages show."""
    counts: dict[str, int] = {}
    for action in run.records.values_list("action", flat=True):
        counts[action] = counts.get(action, 0) + 1
    run.summary = {**(run.summary or {}), "counts": counts}
    if error:
        run.status = SyncRun.Status.FAILED
        run.message = error
    elif counts.get(SyncRecord.Action.FAILED):
        run.status = SyncRun.Status.PARTIAL
    else:
        run.status = SyncRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save(update_fields=["summary", "status", "message", "finished_at", "updated_at"])
    return run


def connector_run_execute(*, run: SyncRun) -> SyncRun:
    """Carry out a queued reconcile run. The watermark moves to the run's start only if it succeeds."""
    if run.status != SyncRun.Status.RUNNING or run.finished_at is not None:
        return run  # a redelivered task: the run is already done
    connector = registry.get(run.connector)
    if connector is None or connector.reconcile is None:
        return sync_run_finish(run, error=_("Ukjent integrasjon."))
    ctx = context(tenant=run.tenant, connector=connector, run=run)
    if ctx is None:
        return sync_run_finish(run, error=_("Tripletex er ikke koblet til, eller integrasjonen er slått av."))
    # Changes made in Tripletex while we read are caught by the next run: the new watermark is the start.
    started = timezone.now()
    try:
        connector.reconcile(ctx)
    except TripletexError as exc:
        logger.warning("reconcile %s failed for tenant %s: %s (request %s)", connector.name, run.tenant_id,
                       exc.message, exc.request_id)
        return sync_run_finish(run, error=stopped_by(ctx.connection, exc))
    except RunStopped as exc:
        return sync_run_finish(run, error=exc.message)
    sync_run_finish(run)
    ConnectorConfig.objects.filter(pk=ctx.config.pk).update(watermark=started, last_run=run, digests=ctx.config.digests)
    return run


def stopped_by(connection: Connection, exc: TripletexError) -> str:
    """The run's error for the log; a refused key makes the connection wait for a new one."""
    from ..services import connection_token_refused, is_key_refusal

    if is_key_refusal(exc):
        connection_token_refused(connection=connection, exc=exc)
        return _("Tripletex godtar ikke API-nøkkelen lenger. Integrasjonen venter til en ny nøkkel er lagt inn.")
    return exc.message


@dataclass
class PushOutcome:
    sent: int = 0
    more: bool = False
    retry_after: float | None = None


def outbound_changes_push(*, tenant: Tenant, limit: int = CHANGES_PER_TASK) -> PushOutcome:
    """Send the company's due local changes, one connector handler call per change."""
    outcome = PushOutcome()
    connection = Connection.objects.filter(tenant=tenant).first()
    if connection is None or not connection.is_active:
        return outcome  # they wait: "Koble til Tripletex" sends them (connection_activate enqueues a push)
    now = timezone.now()
    due = OutboundChange.objects.filter(
        tenant=tenant, state=OutboundChange.State.PENDING,
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)).order_by("id")
    ids = list(due.values_list("id", flat=True)[:limit + 1])
    outcome.more = len(ids) > limit
    runs: dict[str, SyncRun] = {}
    contexts: dict[str, SyncContext | None] = {}
    enabled = set(ConnectorConfig.objects.filter(tenant=tenant, enabled=True).values_list("name", flat=True))

    def context_of(connector: Connector) -> SyncContext | None:
        if connector.name not in contexts:
            runs[connector.name] = SyncRun.objects.create(
                tenant=tenant, kind=SyncRun.Kind.CONNECTOR, connector=connector.name,
                trigger=SyncRun.Trigger.LOCAL_CHANGE,
            )
            contexts[connector.name] = context(tenant=tenant, connector=connector, run=runs[connector.name])
        return contexts[connector.name]

    try:
        for change_id in ids[:limit]:
            if not Connection.objects.filter(tenant=tenant, state=Connection.State.ACTIVE).exists():
                break  # removed half-way: the rest wait, as changes do while the integration is removed
            claimed = OutboundChange.objects.filter(id=change_id, state=OutboundChange.State.PENDING).update(
                state=OutboundChange.State.SENDING, claimed_by=worker_id(), claimed_at=timezone.now(),
            )
            if not claimed:
                continue  # another worker has it
            change = OutboundChange.objects.get(id=change_id)
            handled = False
            try:
                for connector in registry.senders_of(change.kind, enabled=enabled):
                    ctx = context_of(connector)
                    if ctx is None or connector.handle_local_change is None:
                        continue
                    connector.handle_local_change(ctx, change)
                    handled = True
            except Deferred as exc:
                # The task queues itself again for then; the sweep too, should that be lost.
                _put_back(change, retry_in=exc.retry_in, count_attempt=False)
                outcome.retry_after = min(outcome.retry_after or exc.retry_in, exc.retry_in)
                continue
            except RateLimited as exc:
                outcome.retry_after = max(1.0, float(exc.reset_after or 5.0))
                _put_back(change, retry_in=outcome.retry_after, count_attempt=False)
                return outcome
            except TripletexError as exc:
                if _key_refused(connection, change, exc):
                    return outcome
                # A handler logs the failures it expects; this is the net for the rest, so none goes unseen.
                if not getattr(exc, "logged", False):
                    _record_failure(runs[connector.name], change, exc)
                _failed_attempt(change, exc)
                continue
            except Exception:
                # Anything else (a locked database, a bug) fails the task, but the claim must not outlive it:
                # a live worker's claim is not swept until it is old, and the change would wait that long.
                _put_back(change, retry_in=settings.CONNECTOR_RETRY_BACKOFF)
                raise
            _finish_change(change, message="" if handled else _("Ingen påslått integrasjon sender dette."))
            outcome.sent += 1
    finally:
        for run in runs.values():
            if run.records.exists():
                sync_run_finish(run)
            else:
                run.delete()
    return outcome


def _key_refused(connection: Connection, change: OutboundChange, exc: TripletexError) -> bool:
    """A refused key is not the change's fault: it waits, untouched, for the new key that sends it."""
    from ..services import connection_token_refused, is_key_refusal

    if not is_key_refusal(exc):
        return False
    _put_back(change, retry_in=0, count_attempt=False)
    connection_token_refused(connection=connection, exc=exc)
    return True


def _record_failure(run: SyncRun, change: OutboundChange, exc: TripletexError) -> None:
    SyncRecord.objects.create(
        tenant_id=change.tenant_id, run=run, object_kind=change.kind, local_id=change.local_id,
        direction=SyncRecord.Direction.TO_TRIPLETEX, action=SyncRecord.Action.FAILED,
        label=str(change.snapshot.get("label", ""))[:300], message=exc.message, request_id=exc.request_id or "",
    )


def _finish_change(change: OutboundChange, *, message: str = "") -> None:
    OutboundChange.objects.filter(id=change.id).update(
        state=OutboundChange.State.DONE, message=message, claimed_by="", claimed_at=None,
    )


def _put_back(change: OutboundChange, *, retry_in: float, count_attempt: bool = True) -> None:
    """Back to pending, unless a newer change of the same row is already waiting (it carries the latest state)."""
    attempts = change.attempts + (1 if count_attempt else 0)
    newer = OutboundChange.objects.filter(
        tenant_id=change.tenant_id, kind=change.kind, local_id=change.local_id, state=OutboundChange.State.PENDING,
    ).exclude(id=change.id).exists()
    if newer:
        if OutboundChange.objects.filter(id=change.id, message=IN_DOUBT).exists():
            # The create this change sent may exist in Tripletex: the newer change must look before it creates.
            OutboundChange.objects.filter(
                tenant_id=change.tenant_id, kind=change.kind, local_id=change.local_id,
                state=OutboundChange.State.PENDING,
            ).update(message=IN_DOUBT)
        _finish_change(change, message=_("Erstattet av en nyere endring."))
        return
    OutboundChange.objects.filter(id=change.id).update(
        state=OutboundChange.State.PENDING, attempts=attempts, claimed_by="", claimed_at=None,
        next_attempt_at=timezone.now() + dt.timedelta(seconds=retry_in),
    )


def _failed_attempt(change: OutboundChange, exc: TripletexError) -> None:
    """A transient failure is retried with backoff; a permanent one, or too many, stops at failed for the admin."""
    if exc.permanent or change.attempts + 1 >= MAX_ATTEMPTS:
        OutboundChange.objects.filter(id=change.id).update(
            state=OutboundChange.State.FAILED, attempts=change.attempts + 1, message=exc.message,
            request_id=exc.request_id or "", claimed_by="", claimed_at=None,
        )
        return
    _put_back(change, retry_in=min(settings.CONNECTOR_RETRY_BACKOFF * 2 ** change.attempts, 1800))


def outbound_changes_sweep() -> list[int]:
    """Put back changes claimed by workers that died; the ids of companies with changes due. Runs unscoped."""
    stale = timezone.now() - dt.timedelta(seconds=settings.CONNECTOR_CLAIM_TIMEOUT)
    # One at a time: the row may have been changed again while the dead worker held it, and only one change
    # per row may wait, so the newer one is kept (it carries the latest state) and the dead claim is done.
    # Put back all at once, that one conflict failed the whole sweep, and every company's lost work with it.
    for change in OutboundChange.objects.filter(state=OutboundChange.State.SENDING, claimed_at__lt=stale):
        try:
            with transaction.atomic():
                _put_back(change, retry_in=0, count_attempt=False)
        except IntegrityError:  # the newer change was queued between the look and the update
            _finish_change(change, message=_("Erstattet av en nyere endring."))
    now = timezone.now()
    # Companies whose connection waits (removed, or for a new key) are sent nothing; activating them sends.
    active = Connection.objects.filter(state=Connection.State.ACTIVE).values("tenant_id")
    due = OutboundChange.objects.filter(state=OutboundChange.State.PENDING, tenant_id__in=active).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return sorted(set(due.values_list("tenant_id", flat=True)))


def remote_change_process(*, tenant: Tenant, connector_name: str, kind: str, tripletex_id: int, event: str) -> SyncRun | None:
    """A webhook event for one object: the connector re-reads it and applies it under its rules."""
    connector = registry.get(connector_name)
    if connector is None or connector.handle_remote_change is None:
        return None
    run = SyncRun.objects.create(
        tenant=tenant, kind=SyncRun.Kind.CONNECTOR, connector=connector.name, trigger=SyncRun.Trigger.WEBHOOK,
    )
    ctx = context(tenant=tenant, connector=connector, run=run)
    if ctx is None:
        run.delete()
        return None
    try:
        connector.handle_remote_change(ctx, kind, tripletex_id, event)
    except RunStopped as exc:
        return sync_run_finish(run, error=exc.message)
    except TripletexError as exc:
        from ..services import is_key_refusal

        sync_run_finish(run, error=stopped_by(ctx.connection, exc))
        if not exc.permanent or is_key_refusal(exc):
            raise  # the delivery stays unprocessed, so it is tried again (with a new key: when it comes)
        return run
    if not run.records.exists():
        run.delete()  # nothing changed (our own write coming back): no empty run in the log
        return None
    return sync_run_finish(run)
