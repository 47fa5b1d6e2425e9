"""Thin Celery tasks for the wizard: ids in, the tenant's scope entered, a service does the work."""
import datetime as dt

from celery import shared_task
from django.conf import settings
from django_scopes import scope, scopes_disabled

from . import services
from .models import Draft, Fetch


@shared_task(acks_late=True, ignore_result=True)
def wizard_fetch(*, fetch_id: int, attempt: int) -> None:
    with scopes_disabled():
        tenant_id = Fetch.objects.filter(id=fetch_id).values_list("tenant_id", flat=True).first()
    if tenant_id is None:
        return
    with scope(tenant=tenant_id):
        services.fetch_run(fetch_id=fetch_id, attempt=attempt)


@shared_task(acks_late=True, ignore_result=True)
def wizard_check_rights(*, draft_id: int) -> None:
    with scopes_disabled():
        tenant_id = Draft.objects.filter(id=draft_id).values_list("tenant_id", flat=True).first()
    if tenant_id is None:
        return
    with scope(tenant=tenant_id):
        services.draft_rights_check(draft_id=draft_id)


@shared_task(ignore_result=True)
def wizard_expire_drafts() -> None:
    with scopes_disabled():
        services.drafts_expire(older_than=dt.timedelta(days=settings.WIZARD_DRAFT_DAYS))
