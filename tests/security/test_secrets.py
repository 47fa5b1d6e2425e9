"""Keys and secrets: encrypted at rest, never rendered back, never in logs, task arguments or error reports.

One flow feeds known secrets through everything that handles them, the error paths included: step 1 with
a key Tripletex refuses and with a good one, Ferdigstill, a connector switched on (its webhook secret made
and sent to Tripletex), webhook deliveries with the right secret, a wrong one and a forged signature, and
`tripletex_connect` with a good and a bad key. Every log line of every logger at DEBUG (urllib3 included),
every Celery task's arguments and every page shown are then searched for the secrets.
"""
import io
import logging
import uuid

import pytest
from celery.app.task import Task
from cryptography.fernet import Fernet, MultiFernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as db
from django.test import Client
from django.urls import resolve, reverse
from django.views.debug import ExceptionReporter
from django_scopes import scope

from config import celery_app
from integrations.models import Connection, WebhookSubscription
from integrations.tripletex import TripletexClient
from tests.connectors.webhook_setup import signed
from tests.test_isolation import all_routes
from wizard import services as wizard_services
from wizard.models import Draft

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN_URL = reverse("wizard:step", args=["api-nokkel"])
FINISH_URL = reverse("wizard:step", args=["ferdigstill"])


@pytest.fixture
def eager(settings, fake_tripletex):
    settings.TRIPLETEX_BASE_URL = fake_tripletex.base_url
    settings.TRIPLETEX_CONSUMER_TOKEN = fake_tripletex.consumer_token
    settings.SITE_URL = "https://grjobb.example"
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield fake_tripletex
    celery_app.conf.task_always_eager = before


@pytest.fixture
def every_log_line(caplog):
    """caplog at DEBUG on every logger there is, those that set their own level too."""
    caplog.set_level(logging.DEBUG)
    for name in ["urllib3", "urllib3.connectionpool", "requests", "celery", "django", "django.request",
                 "django.db.backends", "axes", *logging.root.manager.loggerDict]:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.fixture
def task_calls(monkeypatch):
    """The arguments of every Celery task queued, eager or not."""
    calls = []
    original = Task.apply_async

    def recording(self, args=None, kwargs=None, *rest, **options):
        calls.append((self.name, args, kwargs))
        return original(self, args, kwargs, *rest, **options)

    monkeypatch.setattr(Task, "apply_async", recording)
    return calls


@pytest.fixture
def companies(eager):
    a = eager.create_company(f"Hemmelig {uuid.uuid4().hex[:6]} AS", applications=["GrønnJobb"], employees=2,
                             projects=2, wage_types=2, customers=2)
    b = eager.create_company(f"Annen {uuid.uuid4().hex[:6]} AS", applications=["GrønnJobb"], employees=1,
                             projects=1, wage_types=1)
    return a, b


def raw(table: str, column: str) -> list[str]:
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608 - our own table and column names
        return [row[0] for row in cursor.fetchall()]


def test_keys_and_secrets_never_leave_the_database_in_the_clear(
    world, eager, companies, every_log_line, task_calls, settings, monkeypatch,
):
    company_a, company_b = companies
    key_a, key_b = company_a["employee_tokens"]["GrønnJobb"], company_b["employee_tokens"]["GrønnJobb"]
    refused_key = "Ukjent" + uuid.uuid4().hex  # the right shape, unknown to Tripletex
    alice = Client()
    alice.force_login(world.alice)
    pages = []

    def show(response):
        pages.append(response.content.decode(errors="replace"))
        return response

    # Step 1 with a key Tripletex refuses, then with the right one; the lists are fetched; Ferdigstill.
    assert "kjenner ikke igjen" in show(alice.post(TOKEN_URL, {"token": refused_key})).content.decode()
    show(alice.post(TOKEN_URL, {"token": key_a}, follow=True))
    with scope(tenant=world.a):
        draft = Draft.objects.get(tenant=world.a)
    assert draft.employee_token == key_a
    assert raw("wizard_draft", "employee_token") and key_a not in raw("wizard_draft", "employee_token")[0]
    show(alice.post(FINISH_URL, {"draft": draft.id, "send_hours": "none"}, follow=True))
    with scope(tenant=world.a):
        connection = Connection.objects.get(tenant=world.a)
    assert connection.is_active

    # A connector with webhooks: its secret is made here and handed to Tripletex.
    show(alice.post(reverse("integrations:connector_enable", args=["master_data"]), follow=True))
    connection.refresh_from_db()
    secret = connection.webhook_secret
    with scope(tenant=world.a):
        assert secret and WebhookSubscription.objects.filter(tenant=world.a).exists()
        subscription = WebhookSubscription.objects.filter(tenant=world.a, event="project.update").first()
    url = f"/webhooks/tripletex/{connection.webhook_key}/"
    delivery = {"subscriptionId": subscription.tripletex_id, "event": "project.update", "id": 1,
                "value": {"id": 1, "version": 1}}
    webhook = Client()
    assert webhook.post(url, **signed(secret, delivery, idempotency_key=str(uuid.uuid4()))).status_code == 200
    assert webhook.post(url, **signed(secret + "x", delivery, idempotency_key=str(uuid.uuid4()))).status_code == 403
    assert webhook.post(url, **signed(secret, delivery, idempotency_key=str(uuid.uuid4()),
                                      signature="Zm9yZmFsc2tldA==")).status_code == 403

    # The command line, with the right key for B (read from standard input, out of the process list) and
    # with a key Tripletex refuses.
    monkeypatch.setattr("sys.stdin", io.StringIO(key_b + "\n"))
    call_command("tripletex_connect", "--tenant", world.b.slug, "--token", "-", "--none")
    with scope(tenant=world.b):
        assert Connection.objects.get(tenant=world.b).employee_token == key_b
    with pytest.raises(CommandError):
        call_command("tripletex_connect", "--tenant", world.b.slug, "--token", refused_key, "--none")

    # Every page alice can open now, and the admin's pages for the rows that hold the secrets.
    world.alice.is_staff = world.alice.is_superuser = True
    world.alice.save()
    for route in all_routes():
        if "<" not in route:
            show(alice.get("/" + route))
    show(alice.get(reverse("wizard:step", args=["api-nokkel"])))
    show(alice.get(reverse("admin:integrations_connection_change", args=[connection.id])))

    secrets = {"A's key": key_a, "B's key": key_b, "the refused key": refused_key, "the webhook secret": secret,
               "our consumer token": settings.TRIPLETEX_CONSUMER_TOKEN}
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in every_log_line.records)
    assert len(every_log_line.records) > 50 and "urllib3" in logged  # the log was really captured
    queued = "\n".join(repr(call) for call in task_calls)
    assert task_calls  # the tasks were really seen
    for name, value in secrets.items():
        assert value not in logged, f"{name} is in the log"
        assert value not in queued, f"{name} is in a task's arguments"
        for page in pages:
            assert value not in page, f"{name} is shown on a page"

    # At rest: the raw rows hold Fernet ciphertext, never the value.
    stored = raw("integrations_connection", "employee_token") + raw("integrations_connection", "webhook_secret")
    keys = MultiFernet([Fernet(k) for k in settings.FIELD_ENCRYPTION_KEYS])
    stored = [value for value in stored if value]  # B has no connector on, so no webhook secret
    assert sorted(keys.decrypt(value.encode()).decode() for value in stored) == sorted([key_a, key_b, secret])
    for value in stored:
        assert not any(s in value for s in secrets.values())


def test_a_key_is_not_in_the_error_report_of_a_failure_while_it_is_checked(world, eager, companies, monkeypatch):
    key = companies[0]["employee_tokens"]["GrønnJobb"]

    def broken(self, **kwargs):
        raise RuntimeError("Tripletex answered something we did not expect")

    monkeypatch.setattr(TripletexClient, "who_am_i", broken)
    with pytest.raises(RuntimeError) as failure, scope(tenant=world.a):  # as the key step's page does
        wizard_services.draft_check_token(tenant=world.a, by=world.alice, token=key)
    # From the service down: the test's own frame holds the key, as the view's request would.
    report = ExceptionReporter(None, failure.type, failure.value, failure.tb.tb_next)
    html = report.get_traceback_html()
    assert "draft_check_token" in html  # the frames and their variables are in the report
    assert key not in report.get_traceback_text() and key not in html


def test_the_key_step_hides_the_posted_key_from_error_reports(world, rf):
    request = rf.post(TOKEN_URL, {"token": "Hemmelig-nokkel-123456"})
    request.user, request.tenant, request.membership = world.alice, None, None
    resolve(TOKEN_URL).func(request, step="api-nokkel")  # not logged in to a company: sent on, but marked
    report = ExceptionReporter(request, RuntimeError, RuntimeError("feil"), None).get_traceback_text()
    assert "Hemmelig-nokkel-123456" not in report


@pytest.mark.django_db
def test_every_form_that_takes_a_secret_posts_to_a_view_that_hides_it_from_error_reports(world):
    """A password-type field on any page, the login page and the admin's password forms included."""
    from .forms_on_pages import forms_on

    alice = world.client_for(world.alice, world.a)
    world.alice.is_staff = world.alice.is_superuser = True
    world.alice.save()
    urls = [("/" + route, alice) for route in all_routes() if "<" not in route]
    urls += [("/tripletex/aktivering/api-nokkel/", alice), ("/logg-inn/", Client()),
             (reverse("admin:tenants_user_add"), alice), (f"/admin/tenants/user/{world.carol.id}/password/", alice)]
    checked = set()
    for url, client in urls:
        page = client.get(url, follow=True)
        final = page.redirect_chain[-1][0] if page.redirect_chain else url
        for form in forms_on(final, page.content.decode()):
            secret_fields = [f.name for f in form.fields.values() if f.kind == "password"]
            if not secret_fields or form.key in checked:
                continue
            checked.add(form.key)
            response = client.post(form.action, {name: "Hemmelig-verdi-123" for name in secret_fields})
            hidden = getattr(response.wsgi_request, "sensitive_post_parameters", ())
            assert hidden == "__ALL__" or set(secret_fields) <= set(hidden), f"{form.action} shows {secret_fields}"
    assert len(checked) >= 4  # the key step, the login, and the admin's two password forms
