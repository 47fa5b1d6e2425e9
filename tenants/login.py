"""Login throttling (django-axes): which account a failed login counts against, and what a locked-out person sees."""
from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _

from .forms import EmailLoginForm


def attempted_email(request, credentials) -> str:
    """The e-mail as the login form reads it (lower case), so "Alice@" and "alice@" share one count."""
    value = (credentials or {}).get("username") or request.POST.get("username", "")
    return value.strip().lower()


def client_ip(request) -> str:
    """The address failures are counted from. Behind LOGIN_TRUSTED_PROXIES reverse proxies (each appends
    the address it got the request from to X-Forwarded-For) it is the one the outermost proxy saw; with
    none the header is ignored, since anyone can send it."""
    proxies = settings.LOGIN_TRUSTED_PROXIES
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def locked_out(request, original_response=None, credentials=None):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _("For mange mislykkede innlogginger. Av sikkerhetshensyn er innloggingen sperret i %(minutes)d "
                "minutter. Prøv igjen senere, eller be en administrator om hjelp.") % {"minutes": minutes}
    return render(request, "tenants/login.html", {"form": EmailLoginForm(request), "locked_out": message}, status=429)
