"""What every API view does around DRF: the caller's language, its key and company, and `Idempotency-Key`."""
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from django_scopes import scope
from rest_framework import exceptions

from . import services
from .auth import ApiKeyAuthentication, KeyScope, PerKeyThrottle, raw_key
from .exceptions import IdempotencyKeyReused

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def accept_language(request) -> str:
    """The first language of Accept-Language we have; bokmål when none is.

    The pages ignore Accept-Language (`tenants.locale`), but a script has no language switch to press.
    """
    for code, _q in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class _BadKey(exceptions.ValidationError):
    pass


class _Replay(Exception):
    def __init__(self, stored: services.Stored):
        self.stored = stored


def _replayed(stored: services.Stored) -> HttpResponse:
    response = HttpResponse(stored.body, status=stored.status_code, content_type=stored.content_type or None)
    response[REPLAYED_HEADER] = "true"
    return response


class TenantApiMixin:
    """Put before APIView in the bases of every API view: a key is required and its company's scope is
    entered for the request, as the pages' middleware does for a login; a POST with `Idempotency-Key`
    runs once per key."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [KeyScope]
    throttle_classes = [PerKeyThrottle]

    _idempotency: tuple[str, str] | None = None

    def dispatch(self, request, *args, **kwargs):
        language = accept_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        key = raw_key(request)
        request.api_key = services.api_key_authenticate(key) if key else None
        if request.api_key is None:
            response = super().dispatch(request, *args, **kwargs)
        else:
            with scope(tenant=request.api_key.tenant):
                if request.method == "POST" and IDEMPOTENCY_HEADER in request.headers:
                    response = self._dispatch_once(request, *args, **kwargs)
                else:
                    response = super().dispatch(request, *args, **kwargs)
                    response.render()
        response.headers["Content-Language"] = language
        return response

    def _dispatch_once(self, request, *args, **kwargs):
        """The work and the kept answer commit together; a request that loses a race with another of the
        same key rolls its work back and gives the winner's answer."""
        self._idempotency = (
            request.headers[IDEMPOTENCY_HEADER],
            services.request_fingerprint(method=request.method, path=request.get_full_path(), body=request.body),
        )
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            if getattr(response, "settled", False):
                return response
            response.render()
            key, fingerprint = self._idempotency
            earlier = services.idempotency_key_store(
                api_key=request.api_key, key=key, fingerprint=fingerprint, status_code=response.status_code,
                content_type=response.get("Content-Type", ""), body=response.content.decode(),
            )
            if earlier is None:
                return response
            transaction.set_rollback(True)
        if earlier.same_request:
            return _replayed(earlier)
        response = self.handle_exception(IdempotencyKeyReused())
        return self.finalize_response(self.request, response, *args, **kwargs).render()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self._idempotency is None:
            return
        key, fingerprint = self._idempotency
        if not 0 < len(key) <= 255:
            raise _BadKey({IDEMPOTENCY_HEADER: [_("Idempotency-Key må ha 1–255 tegn.")]})
        stored = services.idempotency_key_find(api_key=request.auth, key=key, fingerprint=fingerprint)
        if stored is not None:
            raise _Replay(stored)

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            if exc.stored.same_request:
                response = _replayed(exc.stored)
            else:
                response = super().handle_exception(IdempotencyKeyReused())
        else:
            response = super().handle_exception(exc)
        # An answer about the key itself is not the request's answer: it is not kept.
        response.settled = isinstance(exc, (_Replay, _BadKey))
        return response

    @property
    def tenant(self):
        return self.request.auth.tenant

    @property
    def by(self):
        """Whoever made the key: what it does is done in their name (nobody's for a command's key)."""
        return self.request.auth.created_by
