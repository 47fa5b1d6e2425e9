"""The Celery application: broker, queues and beat schedule come from settings."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("grjobb")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from . import logs  # noqa: E402,F401  (connects the per-task log line to Celery's signals)

# Every task of the project → the setting naming its queue. Approved hours have a queue of their own so that
# a company's start-up copy, a nightly reconcile or a burst of webhooks never holds them back; everything that
# reads or writes a connector's records shares the connectors' queue; housekeeping takes the default one.
# A new task must be placed here (tests/ops/test_queues.py), so none lands on a queue by accident.
TASK_QUEUES = {
    "integrations.tasks.push_hours": "HOURS_QUEUE",
    "integrations.tasks.sweep_hours": "HOURS_QUEUE",
    "integrations.tasks.recheck_locked_hours": "HOURS_QUEUE",
    "integrations.tasks.recheck_locked_hours_all": "HOURS_QUEUE",
    "integrations.tasks.connector_run": "CONNECTORS_QUEUE",
    "integrations.tasks.connector_reread": "CONNECTORS_QUEUE",
    "integrations.tasks.interval_runs": "CONNECTORS_QUEUE",
    "integrations.tasks.inventory_startup": "CONNECTORS_QUEUE",
    "integrations.tasks.journal_send": "CONNECTORS_QUEUE",
    "integrations.tasks.nightly_reconcile": "CONNECTORS_QUEUE",
    "integrations.tasks.push_local_changes": "CONNECTORS_QUEUE",
    "integrations.tasks.remote_changes_collect": "CONNECTORS_QUEUE",
    "integrations.tasks.sweep_local_changes": "CONNECTORS_QUEUE",
    "integrations.tasks.webhook_process": "CONNECTORS_QUEUE",
    "integrations.tasks.webhook_subscriptions_check": "CONNECTORS_QUEUE",
    "integrations.tasks.webhook_subscriptions_check_all": "CONNECTORS_QUEUE",
    "integrations.tasks.webhook_subscriptions_sync": "CONNECTORS_QUEUE",
    # The activation wizard's copy of a company's registers is the biggest start-up read there is.
    "wizard.tasks.wizard_fetch": "CONNECTORS_QUEUE",
    "wizard.tasks.wizard_check_rights": "CELERY_TASK_DEFAULT_QUEUE",
    "wizard.tasks.wizard_expire_drafts": "CELERY_TASK_DEFAULT_QUEUE",
    "integrations.tasks.prune_sync_log": "CELERY_TASK_DEFAULT_QUEUE",
    "api.tasks.prune_idempotency_keys": "CELERY_TASK_DEFAULT_QUEUE",
}


def route_task(name, args, kwargs, options, task=None, **kw):
    """Celery router (CELERY_TASK_ROUTES). Reads the queue's name when the task is sent, so a test or a
    benchmark that gives its workers a queue of their own (HOURS_QUEUE=…) gets its tasks there."""
    from django.conf import settings

    setting = TASK_QUEUES.get(name)
    return {"queue": getattr(settings, setting)} if setting else None
