"""Connection health against the fake Tripletex: a company connected to a company of its own there, with its
wizard tasks run in-process when their transaction commits, and the hours push run in this process."""
import pytest
from django_scopes import scope

from config import celery_app
from integrations.clients import close_pooled_clients
from integrations.hours import push
from tenants.models import Membership
from tests.factories import MembershipFactory, UserFactory
from tests.hours.conftest import Tx, approve, make_tx

__all__ = ["Tx", "approve"]


@pytest.fixture
def fake(fake_tripletex, settings):
    """The app pointed at the fake; tasks queued on commit run in-process (the wizard's fetches and checks)."""
    settings.TRIPLETEX_BASE_URL = fake_tripletex.base_url
    settings.TRIPLETEX_CONSUMER_TOKEN = fake_tripletex.consumer_token
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    close_pooled_clients()
    yield fake_tripletex
    celery_app.conf.task_always_eager = eager
    close_pooled_clients()


@pytest.fixture
def tx(world, fake) -> Tx:
    """Company A connected to its own company in the fake, with linked employees, projects and wage types."""
    return make_tx(fake, world.a)


@pytest.fixture
def second_admin(world):
    user = UserFactory(email="dina@alfa.no", first_name="Dina")
    MembershipFactory(user=user, tenant=world.a, role=Membership.Role.ADMIN)
    return user


def push_once(tenant, **kwargs) -> push.PushOutcome:
    with scope(tenant=tenant):
        return push.hours_push_pending(tenant=tenant, **kwargs)


def push_all(tenant, *, rounds: int = 50) -> None:
    """As the push task would run, until nothing due is left (tasks queued on commit are not run here)."""
    for _ in range(rounds):
        outcome = push_once(tenant)
        if not outcome.more and not outcome.batches:
            return
