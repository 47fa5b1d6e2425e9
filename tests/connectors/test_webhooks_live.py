"""End to end: a change made in (the fake) Tripletex is posted to our running server and reaches the connector."""
import time

from django_scopes import scope

from integrations.models import WebhookDelivery

from .webhook_setup import eager, enable, probe, tx  # noqa: F401


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_change_in_tripletex_reaches_the_connector_through_the_webhook(
    live_server, settings, tx, probe, django_capture_on_commit_callbacks,
):
    settings.SITE_URL = live_server.url
    enable(tx, probe, django_capture_on_commit_callbacks)
    project = tx.fake.objects(tx.company_id, "project")[0]
    customer = tx.fake.objects(tx.company_id, "customer")[0]

    tx.fake.change(tx.company_id, "project", project["id"], name="Endret i Tripletex")
    tx.fake.change(tx.company_id, "customer", customer["id"], phoneNumber="99887766")
    tx.fake.change(tx.company_id, "employee", tx.fake.objects(tx.company_id, "employee")[0]["id"], firstName="Ikke")

    expected = [("project", project["id"], "project.update"), ("customer", customer["id"], "customer.update")]
    assert wait_for(lambda: sorted(probe.changes) == sorted(expected)), probe.changes
    # The fake notes a delivery once our answer is in, so by then the task has finished too.
    assert wait_for(lambda: sum(d["ok"] for d in tx.fake.webhook_deliveries()
                                if d["id"] in (project["id"], customer["id"])) >= 2)
    with scope(tenant=tx.tenant):
        processed = WebhookDelivery.objects.filter(tenant=tx.tenant, processed_at__isnull=False)
        assert sorted(processed.values_list("event", "tripletex_id")) == sorted((e, i) for _, i, e in expected)
