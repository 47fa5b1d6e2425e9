import pytest

from config import celery_app


@pytest.fixture
def tx(fake_tripletex, settings):
    """The app pointed at the fake Tripletex, with wizard tasks run in-process when their transaction commits."""
    settings.TRIPLETEX_BASE_URL = fake_tripletex.base_url
    settings.TRIPLETEX_CONSUMER_TOKEN = fake_tripletex.consumer_token
    celery_app.conf.task_always_eager = True
    yield fake_tripletex
    celery_app.conf.task_always_eager = False


@pytest.fixture
def company(tx):
    """A small Tripletex company of its own, so a test can change it freely."""
    return tx.create_company("Testfirma AS", employees=6, projects=5, wage_types=4)
