"""Login throttling (django-axes): which account a failed login counts against, and what a locked-out person sees."""
from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _

from .forms import EmailLoginForm


def attempted_email(request, credentials) -> str:
    """The e-mail as the login form reads it (lower case), so "Alice@" and "alice@" share one count."""
    value = (credentials or {}).get("username") or request.POST.get("username", "")
    return value.strip().lower()


def locked_out(request, original_response=None, credentials=None):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _("For mange mislykkede innlogginger. Av sikkerhetshensyn er innloggingen sperret i %(minutes)d "
                "minutter. Prøv igjen senere, eller be en administrator om hjelp.") % {"minutes": minutes}
    return render(request, "tenants/login.html", {"form": EmailLoginForm(request), "locked_out": message}, status=429)
