"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server and the fake Tripletex.

Celery tasks run eagerly in the request that queues them (the wizard's fetches finish before step 1's
redirect), Tripletex is the fake over HTTP, and a failing test leaves a screenshot and the page's HTML in
test-artifacts/.
"""
import os
import re
from pathlib import Path

import pytest
from django.db import connection as db_connection

from config import celery_app
from tests.conftest import PASSWORD

# Playwright's sync API keeps an event loop running in this thread; the ORM calls made by the test body
# are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 10_000


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def tripletex_settings(settings, fake_tripletex):
    """The app talks to the fake; the wizard's fetch tasks run in the request that queues them."""
    settings.TRIPLETEX_BASE_URL = fake_tripletex.base_url
    settings.TRIPLETEX_CONSUMER_TOKEN = fake_tripletex.consumer_token
    eager, propagates = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield settings
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = eager, propagates


@pytest.fixture
def page(request, chromium, live_server, tripletex_settings):
    """A fresh browser context per test, pointed at the live server. On failure: screenshot + HTML."""
    context = chromium.new_context(base_url=live_server.url, locale="nb-NO")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            (ARTIFACTS / f"{name}.html").write_text(f"<!-- {page.url} -->\n{page.content()}", encoding="utf-8")
        except Exception as exc:  # the page may be gone; the test's own failure is what matters
            (ARTIFACTS / f"{name}.txt").write_text(f"could not save the page: {exc!r}", encoding="utf-8")
    context.close()


def log_in(page, email: str) -> None:
    page.goto("/logg-inn/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_load_state()
    assert "/logg-inn/" not in page.url, f"login as {email} failed"


def raw_column(table: str, column: str, tenant_id: int) -> list[str]:
    """A column as the database stores it, past the model field's decryption."""
    with db_connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE tenant_id = %s", [tenant_id])
        return [row[0] for row in cursor.fetchall()]
