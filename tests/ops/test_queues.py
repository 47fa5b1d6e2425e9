"""Celery queues: approved hours on a queue of their own, so a big connector sync never delays them."""
from django.conf import settings

from config.celery_app import TASK_QUEUES, app


def project_tasks() -> set[str]:
    app.loader.import_default_modules()
    return {name for name in app.tasks if not name.startswith("celery.")}


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_every_task_of_the_project_is_placed_on_a_queue_deliberately():
    assert project_tasks() == set(TASK_QUEUES), "place new tasks in config.celery_app.TASK_QUEUES; drop gone ones"


def test_hours_connectors_and_housekeeping_each_go_to_their_own_queue():
    assert queue_of("integrations.tasks.push_hours") == settings.HOURS_QUEUE == "hours"
    assert queue_of("integrations.tasks.sweep_hours") == "hours"
    for name in ("connector_run", "webhook_process", "push_local_changes", "nightly_reconcile"):
        assert queue_of(f"integrations.tasks.{name}") == settings.CONNECTORS_QUEUE == "connectors"
    assert queue_of("wizard.tasks.wizard_fetch") == "connectors"  # the start-up copy of a company's registers
    assert queue_of("api.tasks.prune_idempotency_keys") == settings.CELERY_TASK_DEFAULT_QUEUE == "default"


def test_a_queue_named_in_the_environment_is_used_when_the_task_is_sent(settings):
    settings.HOURS_QUEUE = "hours-elsewhere"
    assert queue_of("integrations.tasks.push_hours") == "hours-elsewhere"


def test_a_worker_started_without_a_queue_takes_all_three():
    # A worker without -Q consumes every queue in task_queues (the embedded run's single worker does).
    assert [queue.name for queue in settings.CELERY_TASK_QUEUES] == ["default", "hours", "connectors"]
    assert {"default", "hours", "connectors"} <= set(app.amqp.queues)
