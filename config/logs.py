"""One log line per request and per task, with the request id, the company and the duration.

Production writes JSON (LOG_FORMAT=json, the default when DJANGO_DEBUG=false), one object per line, so a log
platform can filter on `tenant` or follow one `request_id` from the web process into the tasks it queued.
Every other line logged meanwhile carries the same fields.

What the lines hold is chosen, never copied from the request: the path without its query string, no header,
no body. Tokens, API keys and passwords reach the app in headers and bodies, so they never reach the log.
"""
import contextvars
import logging
import re
import time
import uuid

from celery import signals

# What the current request or task is; every log line written meanwhile carries it (ContextFilter).
_context: contextvars.ContextVar[dict] = contextvars.ContextVar("grjobb_log_context", default={})

# A request id from the proxy in front is kept when it looks like one, so its log and ours can be joined;
# anything else (too long, odd characters) is replaced, so a client cannot write into our log.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
REQUEST_ID_HEADER = "X-Request-ID"

request_logger = logging.getLogger("grjobb.request")
task_logger = logging.getLogger("grjobb.task")


class ContextFilter(logging.Filter):
    """Puts the current request's or task's id and company on every record the handler writes."""

    def filter(self, record):
        for name, value in _context.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


def _tenant_of(request) -> str:
    tenant = getattr(request, "tenant", None)
    if tenant is None and getattr(request, "api_key", None) is not None:
        tenant = request.api_key.tenant
    return tenant.slug if tenant is not None else ""


class RequestLogMiddleware:
    """Outermost middleware: gives the request its id (also sent back in X-Request-ID) and logs it once done."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = _context.set({"request_id": request_id})
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            request_logger.info(
                "%s %s %s", request.method, request.path, response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "tenant": _tenant_of(request),
                    "user_id": getattr(getattr(request, "user", None), "pk", None),
                },
            )
            return response
        finally:
            _context.reset(token)


# --- Celery ---------------------------------------------------------------------------------------------
# The request id and company travel with a task as message headers (not arguments: a task's arguments stay
# ids), so the task's lines can be found from the request that queued it.

@signals.before_task_publish.connect
def _task_headers(headers=None, **kwargs):
    if headers is None:
        return
    current = _context.get()
    if current.get("request_id"):
        headers.setdefault("grjobb_request_id", current["request_id"])
    from django_scopes import get_scope

    tenant = get_scope().get("tenant")
    if tenant is not None:
        headers.setdefault("grjobb_tenant", tenant.slug)
    elif current.get("tenant"):
        headers.setdefault("grjobb_tenant", current["tenant"])


_task_started: dict[str, tuple[float, contextvars.Token]] = {}


@signals.task_prerun.connect
def _task_started_log(task_id=None, task=None, kwargs=None, **rest):
    request = task.request
    values = {"task_id": task_id, "task": task.name, "tenant": getattr(request, "grjobb_tenant", None) or ""}
    if kwargs and "tenant_id" in kwargs:
        # Queued outside any company's scope (by beat, by a sweep): the id it was given is the company.
        values["tenant_id"] = kwargs["tenant_id"]
    request_id = getattr(request, "grjobb_request_id", None)
    if request_id:
        values["request_id"] = request_id
    _task_started[task_id] = (time.monotonic(), _context.set(values))


@signals.task_postrun.connect
def _task_done_log(task_id=None, task=None, state=None, **rest):
    started = _task_started.pop(task_id, None)
    if started is None:
        return
    began, token = started
    task_logger.info(
        "%s %s", task.name, state,
        extra={"state": state, "duration_ms": round((time.monotonic() - began) * 1000, 1)},
    )
    _context.reset(token)
