"""Who is calling: a company's API key in `Authorization: Api-Key <key>`, what it may do, and how often."""
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions, throttling
from rest_framework_api_key.permissions import KeyParser

from .models import TenantAPIKey

KEYWORD = KeyParser.keyword


def raw_key(request) -> str | None:
    """The key in the request's Authorization header, or None (a Django or a DRF request)."""
    return KeyParser().get(getattr(request, "_request", request))


class ApiKeyAuthentication:
    """The key was looked up before DRF ran (`base.TenantApiView.dispatch`, which needs the company to
    enter its scope); this only tells DRF the outcome."""

    def authenticate(self, request):
        api_key = getattr(request._request, "api_key", None)
        if api_key is not None:
            return AnonymousUser(), api_key
        if raw_key(request) is not None:
            raise exceptions.AuthenticationFailed(_("Ugyldig eller tilbakekalt API-nøkkel."))
        return None

    def authenticate_header(self, request):
        return KEYWORD


class KeyScope(permissions.BasePermission):
    """A key is needed; a read-only key may only read."""

    message = _("API-nøkkelen har bare lesetilgang.")

    def has_permission(self, request, view):
        api_key = request.auth
        if not isinstance(api_key, TenantAPIKey):
            raise exceptions.NotAuthenticated(_("Send en API-nøkkel: «Authorization: Api-Key <nøkkel>»."))
        return request.method in permissions.SAFE_METHODS or not api_key.read_only


class PerKeyThrottle(throttling.SimpleRateThrottle):
    """`API_RATE_LIMIT` requests per key, counted in the cache (shared by every web process when
    `CACHE_URL` points at Redis)."""

    scope = "api_key"

    def get_rate(self):
        # Read per request, not once at import as DRF does, so the setting can change under tests.
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, TenantAPIKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}
