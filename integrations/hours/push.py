"""The push: claim a company's due rows, send them in batches, record the outcome per row and per run.

A task calls `hours_push_pending` (a bounded number of batches, then it queues itself again); beat calls
`hours_sweep` to put back dead workers' claims. Sending a claimed batch to Tripletex is `batch.send`.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from tenants.models import Tenant

from ..clients import pooled_client_for_connection
from ..models import Connection, HourTransfer, SyncRecord, SyncRun
from ..services import connection_right_confirmed, connection_right_refused, connection_token_refused, is_key_refusal
from ..tripletex import Forbidden, RateLimited, TripletexClient, TripletexError, Unauthorized
from ..tripletex.errors import describe
from .batch import send
from .slots import Batch, SlotResult, later, save_slots, slots_of
from .wages import WAGE_GAVE_UP

logger = logging.getLogger("integrations.hours")

State, Action = HourTransfer.State, HourTransfer.Action

# Reasons shown to the admin (msgids; translated where they are shown).
REASON_GAVE_UP = gettext_noop("ga opp etter gjentatte forsøk")
# Windows a claim reads before it gives up; only another worker taking each window first uses more than one.
CLAIM_TRIES = 3
# Held, not failed: the hours are fine, the key's user may not write them. A new key or "Prøv igjen" sends them.
HOLD_NO_RIGHT = gettext_noop("API-nøkkelens bruker mangler tilgang til timeføring i Tripletex")


@dataclass
class PushOutcome:
    batches: int = 0
    rows: int = 0
    more: bool = False
    retry_after: float | None = None


def hours_push_pending(*, tenant: Tenant, max_batches: int | None = None) -> PushOutcome:
    """Send the company's pending rows, a bounded number of batches; says whether more are waiting.

    Must run inside the company's scope. Stops at once when the connection is no longer active, and when
    Tripletex refuses the key: the rows go back untouched, without an attempt counted, and wait for a new key.
    """
    outcome = PushOutcome()
    max_batches = max_batches or settings.HOURS_BATCHES_PER_TASK
    connection = Connection.objects.filter(tenant=tenant).first()
    if connection is None or not connection.is_active:
        return outcome
    client = pooled_client_for_connection(connection, max_rate_limit_wait=settings.HOURS_RATE_LIMIT_WAIT)
    run = None
    try:
        for _i in range(max_batches):
            # Removing the integration stops transfers before the next batch, not after the task.
            connection.refresh_from_db(fields=["state", "tripletex_company_id", "employee_token", "rights"])
            if not connection.is_active:
                return outcome
            if run is None and _has_due(tenant):
                run = SyncRun.objects.create(tenant=tenant, kind=SyncRun.Kind.HOURS)
            if run is None:
                outcome.retry_after = _next_due_in(tenant)
                return outcome
            try:
                n = _push_batch(tenant=tenant, connection=connection, client=client, run=run)
            except RateLimited as exc:
                outcome.retry_after = max(1.0, float(exc.reset_after or 5.0))
                return outcome
            except Unauthorized as exc:  # the key itself (only that leaves a batch as Unauthorized)
                connection_token_refused(connection=connection, exc=exc)
                return outcome
            if n == 0:
                outcome.retry_after = _next_due_in(tenant)
                return outcome
            outcome.batches += 1
            outcome.rows += n
        outcome.more = _has_due(tenant)
        return outcome
    finally:
        if run is not None:
            _finish_run(run)


def hours_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Cross-company (call inside scopes_disabled): put back stale claims; return companies with due rows.

    A claim older than the timeout belongs to a worker that died mid-batch. Its rows go back to pending
    and count an attempt, so a batch that kills every worker still ends at "feilet".
    """
    now = now or timezone.now()
    stale_before = now - dt.timedelta(seconds=settings.HOURS_CLAIM_TIMEOUT)
    stale = HourTransfer.objects.filter(state=State.SENDING, claimed_at__lt=stale_before)
    max_attempts = settings.HOURS_MAX_ATTEMPTS
    stale.filter(attempts__gte=max_attempts - 1).update(
        state=State.FAILED, reason=REASON_GAVE_UP, claimed_by="", updated_at=now
    )
    stale.update(state=State.PENDING, claimed_by="", attempts=_plus_one(), next_attempt_at=None, updated_at=now)
    active = Connection.objects.filter(state=Connection.State.ACTIVE).values("tenant_id")
    due = HourTransfer.objects.filter(state=State.PENDING, tenant_id__in=active).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return sorted(set(due.values_list("tenant_id", flat=True)))


# One batch.


def _push_batch(*, tenant: Tenant, connection: Connection, client: TripletexClient, run: SyncRun) -> int:
    worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    rows = _claim(tenant=tenant, worker=worker, limit=settings.HOURS_BATCH_SIZE)
    if not rows:
        return 0
    batch = Batch(tenant=tenant, company_id=connection.tripletex_company_id, client=client, rows=rows)
    try:
        send(batch)
    except TripletexError as exc:
        if isinstance(exc, RateLimited) or is_key_refusal(exc):
            # Not the rows' fault: they go back untouched, and go again after the reset or with a new key.
            HourTransfer.objects.filter(id__in=[r.id for r in rows], claimed_by=worker, state=State.SENDING).update(
                state=State.PENDING, claimed_by="", updated_at=timezone.now()
            )
            save_slots(slots_of(rows))
            raise
        if isinstance(exc, Forbidden):
            _hold_for_right(batch, rows, exc)
        else:
            logger.warning("hours push for tenant %s: %s", tenant.id, exc)
            for row in rows:
                batch.results.setdefault(row.slot_id, later(exc))
    for action, n in _finalize(batch, rows, worker=worker, run=run).items():
        run.summary[action] = run.summary.get(action, 0) + n
    _learn_rights(batch, connection)
    return len(rows)


def _hold_for_right(batch: Batch, rows: list[HourTransfer], exc: Forbidden) -> None:
    """A 403 stopped the batch: the key's user lacks a right. What did not go is held, not failed, so no
    attempt is spent on it; a count whose hours went waits for its own next try."""
    batch.forbidden.append(exc)
    held = SlotResult(state=State.HELD, reason=HOLD_NO_RIGHT, message=describe(exc), request_id=exc.request_id or "")
    for row in rows:
        result = batch.results.setdefault(row.slot_id, held)
        if row.wage_slot_id and result.ok:
            batch.results.setdefault(("wage", row.wage_slot_id), later(exc))


def _learn_rights(batch: Batch, connection: Connection) -> None:
    """Record the rights Tripletex's 403s named, and those its writes proved after one was recorded missing."""
    for exc in batch.forbidden:
        connection_right_refused(connection=connection, exc=exc)
    written = (SyncRecord.Action.CREATED, SyncRecord.Action.UPDATED)
    if any(isinstance(k, int) and r.ok and r.action in written for k, r in batch.results.items()):
        connection_right_confirmed(connection=connection, key="timesheet")
    if any(isinstance(k, tuple) and r.ok and r.action in written for k, r in batch.results.items()):
        connection_right_confirmed(connection=connection, key="wage_counts")


def _claim(*, tenant: Tenant, worker: str, limit: int) -> list[HourTransfer]:
    """Take up to `limit` slots' pending rows, all rows of a slot together, with one conditional update.

    A slot, or a wage-type count, that another worker is sending is left alone until it is done: two
    workers writing one Tripletex entry would each take the other's create for someone else's.
    """
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    sending = HourTransfer.objects.filter(tenant=tenant, state=State.SENDING)
    free = ~Q(slot_id__in=sending.values("slot_id")) & ~Q(
        wage_slot_id__in=sending.filter(wage_slot__isnull=False).values("wage_slot_id")
    )
    # Oldest rows first; a window of rows rather than GROUP BY over every pending row, which costs more
    # than the batch when a month of hours waits. A slot's other rows come along with the update below,
    # due or not: its entry will hold their hours, so their marks go with it.
    window = HourTransfer.objects.filter(tenant=tenant, state=State.PENDING).filter(due, free).order_by("id")
    # The connection's state is part of the claim itself, so a removal that commits first wins.
    active = Connection.objects.filter(tenant=tenant, state=Connection.State.ACTIVE).values("tenant_id")
    for _try in range(CLAIM_TRIES):
        # Read and update in one transaction: on SQLite it holds the write lock from its start, so workers of
        # one company claim one after the other instead of reading the same window and all but one losing it.
        with transaction.atomic():
            slot_ids = list(dict.fromkeys(window.values_list("slot_id", flat=True)[: limit * 3]))[:limit]
            if not slot_ids:
                return []
            if HourTransfer.objects.filter(
                tenant=tenant, tenant_id__in=active, slot_id__in=slot_ids, state=State.PENDING
            ).filter(free).update(state=State.SENDING, claimed_by=worker, claimed_at=now):
                break
        # Where reads do not wait for writers (PostgreSQL), workers still read the same oldest window: the one
        # whose update came second got nothing, and would end its task as if nothing were due. Those slots are
        # being sent now, so the window moved.
    else:
        return []
    return list(
        HourTransfer.objects.filter(tenant=tenant, claimed_by=worker, state=State.SENDING).select_related(
            "slot", "wage_slot"
        )
    )


# After a batch: each row's outcome, and the runs it counts in.


def _finalize(batch: Batch, rows: list[HourTransfer], *, worker: str, run: SyncRun) -> dict[str, int]:
    now = timezone.now()
    records = []
    counts: dict[str, int] = defaultdict(int)
    with transaction.atomic():
        # What Tripletex now holds and each row's mark in one commit.
        save_slots(slots_of(rows))
        # Only rows still ours: one re-approved or rejected meanwhile was re-armed by the hook and goes again.
        # The claim's worker id is this batch's alone, so it names the batch's rows without listing their ids.
        claimed = HourTransfer.objects.filter(tenant=batch.tenant, claimed_by=worker, state=State.SENDING)
        mine = set(claimed.select_for_update().values_list("id", flat=True))
        changed = []
        for row in rows:
            if row.id not in mine:
                continue
            action = _mark(batch, row, now=now)
            changed.append(row)
            if action is not None and not row.export_run_id:
                counts[action] += 1
            # Automatic pushes log problems per entry and count successes in the run's summary; an export
            # per period (seed 004) logs every entry it sent.
            if action is not None and (row.export_run_id or row.reason or action in (SyncRecord.Action.FAILED,
                                                                                     SyncRecord.Action.SKIPPED)):
                slot = row.slot
                records.append(SyncRecord(
                    tenant=batch.tenant, run_id=row.export_run_id or run.id, object_kind="hours",
                    local_id=row.local_entry_id, tripletex_id=slot.tripletex_id,
                    label=f"{slot.date:%d.%m.%Y} · {row.hours} t", action=action, rule=row.reason,
                    message=row.message, request_id=row.request_id,
                ))
        # Rows of a batch mostly end alike (all sent): one UPDATE per distinct outcome, not per row.
        groups = defaultdict(list)
        for row in changed:
            values = (row.state, row.reason, row.message, row.request_id, row.attempts, row.next_attempt_at,
                      row.sent_at, row.locked_by)
            groups[values].append(row.id)
        for (state, reason, message, request_id, attempts, next_at, sent_at, locked_by), ids in groups.items():
            # Mostly one outcome for the whole batch: then the claim names the rows, without a list of ids.
            same = claimed if len(ids) == len(mine) else HourTransfer.objects.filter(id__in=ids)
            same.update(
                state=state, reason=reason, message=message, request_id=request_id, attempts=attempts,
                next_attempt_at=next_at, sent_at=sent_at, locked_by=locked_by, claimed_by="", updated_at=now,
            )
        _mark_taken_out(batch, now=now)
        SyncRecord.objects.bulk_create(records)
    export_runs = {r.export_run_id for r in rows if r.export_run_id}
    for run_id in export_runs:
        _finish_export_if_done(batch.tenant, run_id)
    return counts


def _mark(batch: Batch, row: HourTransfer, *, now: dt.datetime) -> str | None:
    """Set the row's state to what Tripletex now holds of it; the action to log, or None (it goes again)."""
    entry = batch.results.get(row.slot_id) or SlotResult()
    wage = batch.results.get(("wage", row.wage_slot_id)) if row.wage_slot_id else None
    # A rejected entry's count that was never made is as gone as it can be.
    wage_done = wage is None or wage.ok or (row.action == Action.DELETE and wage.state == State.HELD)
    row.claimed_by, row.updated_at = "", now
    if entry.ok and wage_done:
        row.message, row.request_id, row.locked_by = entry.message, entry.request_id, ""
        row.state = State.SENT if row.action == Action.UPSERT else State.REMOVED
        row.reason, row.sent_at, row.attempts, row.next_attempt_at = "", now, 0, None
        return entry.action if row.action == Action.UPSERT else SyncRecord.Action.DELETED
    result = wage if entry.ok else entry
    row.message, row.request_id, row.locked_by = result.message, result.request_id, result.locked_by
    # A locked period is looked at again on a schedule (`corrections`), and goes once Tripletex has opened it.
    recheck = now + dt.timedelta(seconds=settings.HOURS_LOCKED_RECHECK) if result.state == State.LOCKED else None
    # The hours are in Tripletex and only their count per wage type is not: the row is sent, and says why not all.
    sent_without_count = entry.ok and row.action == Action.UPSERT
    if result.state and sent_without_count:
        row.state, row.reason, row.sent_at, row.attempts = State.SENT, result.reason, now, 0
        row.next_attempt_at = recheck
        return entry.action
    if result.state:
        row.state, row.reason, row.next_attempt_at = result.state, result.reason, recheck
        return SyncRecord.Action.SKIPPED if result.state == State.HELD else SyncRecord.Action.FAILED
    row.attempts += 1
    if row.attempts >= settings.HOURS_MAX_ATTEMPTS and sent_without_count:
        row.state, row.reason, row.sent_at, row.attempts, row.next_attempt_at = State.SENT, WAGE_GAVE_UP, now, 0, None
        return entry.action
    if row.attempts >= settings.HOURS_MAX_ATTEMPTS:
        row.state, row.reason = State.FAILED, REASON_GAVE_UP
        return SyncRecord.Action.FAILED
    row.state, row.reason = State.PENDING, ""
    # Backoff so a sick Tripletex is not hammered: 10 s, 20 s, 40 s … capped at 30 min.
    wait = min(1800.0, settings.HOURS_RETRY_BACKOFF * 2 ** (row.attempts - 1))
    row.next_attempt_at = now + dt.timedelta(seconds=wait)
    return None


def _mark_taken_out(batch: Batch, *, now: dt.datetime) -> None:
    """Rejected hours whose removal failed or was locked are gone once a later write of their slot succeeds
    (it holds only what is meant to be there): their mark follows."""
    done = [k for k, r in batch.results.items() if isinstance(k, int) and r.ok]
    if not done:
        return
    counts_done = [k[1] for k, r in batch.results.items() if isinstance(k, tuple) and r.ok]
    HourTransfer.objects.filter(
        tenant=batch.tenant, slot_id__in=done, action=Action.DELETE, state__in=(State.FAILED, State.LOCKED)
    ).filter(Q(wage_slot__isnull=True) | Q(wage_slot_id__in=counts_done)).update(
        state=State.REMOVED, reason="", message="", updated_at=now
    )


def _finish_export_if_done(tenant: Tenant, run_id: int) -> None:
    open_rows = HourTransfer.objects.filter(tenant=tenant, export_run_id=run_id, state__in=(State.PENDING, State.SENDING))
    if open_rows.exists():
        return
    run = SyncRun.objects.filter(tenant=tenant, id=run_id, status=SyncRun.Status.RUNNING).first()
    if run is not None:
        _finish_run(run)


def _finish_run(run: SyncRun) -> None:
    counts = defaultdict(int)
    if run.kind == SyncRun.Kind.HOURS:
        counts.update({k: v for k, v in run.summary.items() if k in SyncRecord.Action.values})
    else:
        for action in run.records.values_list("action", flat=True):
            counts[action] += 1
    if run.kind == SyncRun.Kind.HOURS and not counts:
        run.delete()  # nothing reached a final state: a retry-later pass is not worth a line in the log
        return
    if run.kind == SyncRun.Kind.HOURS_EXPORT and HourTransfer.objects.filter(
        tenant_id=run.tenant_id, export_run_id=run.id, state__in=(State.PENDING, State.SENDING)
    ).exists():
        run.summary = {**run.summary, **counts}
        run.save(update_fields=["summary", "updated_at"])
        return
    problems = counts[SyncRecord.Action.FAILED] + counts[SyncRecord.Action.SKIPPED]
    done = sum(counts.values()) - problems
    run.status = (
        SyncRun.Status.SUCCEEDED if not problems else SyncRun.Status.PARTIAL if done else SyncRun.Status.FAILED
    )
    run.summary = {**run.summary, **counts}
    run.finished_at = timezone.now()
    run.save()


# Small pieces.


def _next_due_in(tenant: Tenant) -> float | None:
    """Seconds until the earliest row waiting out a backoff is due; the sweep is the net beyond a minute."""
    first = HourTransfer.objects.filter(tenant=tenant, state=State.PENDING, next_attempt_at__isnull=False).aggregate(
        first=Min("next_attempt_at")
    )["first"]
    if first is None:
        return None
    wait = (first - timezone.now()).total_seconds()
    return max(0.5, wait) if wait < 60 else None


def _has_due(tenant: Tenant) -> bool:
    now = timezone.now()
    return HourTransfer.objects.filter(tenant=tenant, state=State.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    ).exists()


def _plus_one():
    return F("attempts") + 1
