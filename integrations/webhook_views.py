"""The address Tripletex posts webhook deliveries to. No login: the key in the URL routes, the secret proves."""
import logging

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_scopes import scope, scopes_disabled

from .connectors import webhooks
from .models import Connection

logger = logging.getLogger("integrations.webhooks")


@csrf_exempt
@require_POST
def tripletex_webhook(request, key):
    with scopes_disabled():
        connection = Connection.objects.select_related("tenant").filter(webhook_key=key).first()
    if connection is None:
        return HttpResponse(status=404)
    with scope(tenant=connection.tenant):
        try:
            webhooks.delivery_accept(
                connection=connection, authorization=request.headers.get("Authorization", ""),
                signature=request.headers.get("x-request-signature"),
                idempotency_key=request.headers.get("idempotency-key"), body=request.body,
            )
        except webhooks.Refused as exc:
            logger.info("webhook for tenant %s refused (%s): %s", connection.tenant_id, exc.status, exc.reason)
            return HttpResponse(status=exc.status)
    return HttpResponse(status=200)
