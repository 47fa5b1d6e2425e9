"""Tuning for the hours push, from Django settings first and the environment second.

Kept here rather than in config/settings.py so the hours push owns its knobs; a deployment sets them
as environment variables (HOURS_BATCH_SIZE=…), a test with the `settings` fixture.
"""
import os

from django.conf import settings

# Tripletex documents no maximum for POST/PUT /timesheet/entry/list. 200 keeps one call well inside the
# 30 s read timeout (Tripletex validates every entry), keeps the blast radius of its all-or-nothing
# answer small (one refused entry costs about log2(200) ≈ 8 extra calls to find), and at the observed
# ~100 calls per 10 s still moves ~2,000 entries a second per company — more than anyone approves.
DEFAULTS = {
    "HOURS_BATCH_SIZE": 200,
    # Batches one task sends before it re-enqueues itself, so a company with a month of hours waits
    # behind the other companies' tasks instead of holding a worker.
    "HOURS_BATCHES_PER_TASK": 5,
    # Failed sends of a row before it stops at "feilet" for the admin to retry by hand.
    "HOURS_MAX_ATTEMPTS": 8,
    # First wait after a failed send, doubled per attempt up to 30 minutes.
    "HOURS_RETRY_BACKOFF": 10.0,
    # A claim older than this belongs to a worker that died; the sweep puts its rows back.
    # Longer than any honest batch: read timeout (30 s) times the splits of one refused batch.
    "HOURS_CLAIM_TIMEOUT": 300,
    # Longest the client may sleep on Tripletex's rate limit inside a task; beyond it the task gives
    # the worker back and is rescheduled after the reset.
    "HOURS_RATE_LIMIT_WAIT": 2.0,
    # Celery queue for the hours tasks (None: the default queue).
    "HOURS_QUEUE": None,
}
CASTS = {"HOURS_RATE_LIMIT_WAIT": float, "HOURS_RETRY_BACKOFF": float, "HOURS_QUEUE": str}


def conf(name: str):
    value = getattr(settings, name, None)
    if value is not None:
        return value
    raw = os.environ.get(name, "")
    if raw:
        return CASTS.get(name, int)(raw)
    return DEFAULTS[name]
