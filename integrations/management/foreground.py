"""What the Tripletex commands share: finding the company, and running queued tasks in the command itself."""
from contextlib import contextmanager

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from config import celery_app
from tenants.models import Tenant

# Exit code for a company or connector that does not exist: the caller typed something wrong.
USAGE_ERROR = 2


def tenant_by_slug(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise CommandError(_("Fant ikke selskapet «%(slug)s».") % {"slug": slug}, returncode=USAGE_ERROR)
    return tenant


@contextmanager
def tasks_in_this_process():
    """Tasks queued inside run here when their transaction commits, not on a worker, so a command has its
    result before it prints it. Only around the one service call whose task it waits for."""
    conf = celery_app.conf
    before = conf.task_always_eager
    conf.task_always_eager = True
    try:
        yield
    finally:
        conf.task_always_eager = before
