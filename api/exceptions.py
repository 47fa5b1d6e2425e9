"""Errors as the API gives them: a service's ValidationError is a 400 with field → messages, a refused
action a 409, and every other error `{"detail": …}` in the caller's language."""
import math

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from integrations.connectors.services import ActionRefused


class Conflict(exceptions.APIException):
    """The action cannot be done in the object's present state (not connected, already running …)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Handlingen kan ikke utføres nå.")
    default_code = "conflict"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _(
        "Idempotency-Key er brukt før med en annen forespørsel. Bruk en ny nøkkel for en ny forespørsel."
    )
    default_code = "idempotency_key_reused"


def validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A service's ValidationError as DRF's: {field: [messages]}, with errors of no field under
    `non_field_errors` as a serializer gives them."""
    if hasattr(exc, "error_dict"):
        detail = {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in exc.message_dict.items()
        }
    else:
        detail = {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    return exceptions.ValidationError(detail)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = validation_error(exc)
    elif isinstance(exc, ActionRefused):
        exc = Conflict(exc.message)
    elif isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        # DRF writes Retry-After with %d, which says 0 for the last part of a second.
        exc.wait = max(1, math.ceil(exc.wait))
    return drf_exception_handler(exc, context)
