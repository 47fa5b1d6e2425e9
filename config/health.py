"""Probes for the platform, without login: /healthz (the process answers) and /readyz (it can do its work:
the database and the Celery broker answer). A failed /readyz is a 503 that names what failed, and nothing
else: no host, user or password from the error.

ProbeMiddleware answers them before any other middleware: a platform asks by the container's own address
(not a name in ALLOWED_HOSTS) and over plain HTTP, every few seconds, and needs neither a session, a redirect
to HTTPS, nor a log line per probe."""
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery_app import app as celery_app

# Seconds a probe waits for the broker; the platform's own probe timeout is usually a few seconds.
BROKER_TIMEOUT = 2.0


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def database_ready() -> bool:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return False
    return True


def broker_ready() -> bool:
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT)
    except Exception:
        return False
    return True


@never_cache
@require_GET
def readyz(request):
    checks = {"database": database_ready(), "broker": broker_ready()}
    ready = all(checks.values())
    body = {name: "ok" if ok else "unreachable" for name, ok in checks.items()}
    return JsonResponse({"status": "ok" if ready else "unavailable", **body}, status=200 if ready else 503)


PROBES = {"/healthz": healthz, "/readyz": readyz}


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        return probe(request) if probe is not None else self.get_response(request)
