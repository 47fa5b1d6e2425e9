"""The fake's request pipeline for ``/v2``: routing, auth, rate limit, faults, validation.

It is independent of the HTTP server so that the server module stays a thin
socket layer; ``handle`` takes the decoded request and returns a ``Result``.
"""
from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from . import api_core, api_events, api_sales, api_timesheet, api_tokens, errors
from .clock import Clock
from .faults import Faults
from .ratelimit import RateLimiter
from .render import Renderer
from .routing import Request, Router
from .spec import load
from .store import Store
from .webhooks import Dispatcher

log = logging.getLogger(__name__)
WRITE_METHODS = {"POST", "PUT", "DELETE"}


@dataclass
class Result:
    status: int
    body: object = None
    headers: dict = field(default_factory=dict)
    drop: bool = False


def parse_query(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for k, v in parse_qsl(query, keep_blank_values=True):
        # Repeated parameters (productNumber=1&productNumber=2) mean a list, like "1,2".
        params[k] = f"{params[k]},{v}" if k in params and v else v
    return params


class FakeTripletex:
    def __init__(self, *, validate: bool = False, rate_limit: int = 100_000, rate_window: float = 10.0):
        self.spec = load()
        self.clock = Clock()
        self.store = Store(self.spec, self.clock)
        self.router = Router()
        for module in (api_tokens, api_core, api_timesheet, api_sales, api_events):
            module.register(self.router)
        unknown = sorted(t for t in self.router.templates if t not in self.spec.paths)
        if unknown:
            log.warning("routes not in the spec: %s", unknown)
        self.faults = Faults()
        self.limiter = RateLimiter(rate_limit, rate_window)
        self.calls: Counter = Counter()
        self.company_calls: dict[int, Counter] = {}
        self._calls_lock = threading.Lock()
        self.validator = None
        if validate:
            from .validation import SchemaValidator
            self.validator = SchemaValidator(self.spec)
        self.settings: dict = {"duplicate_status": 409, "locked_status": 422}
        self.webhooks = Dispatcher(self)
        self.store.on_change = self.webhooks.on_change
        self.stopping = threading.Event()
        self.base_url = ""

    def renderer(self, company) -> Renderer:
        return Renderer(self.spec, company, self.base_url)

    def _count(self, key: str, company_id: int | None) -> None:
        with self._calls_lock:
            self.calls[key] += 1
            if company_id is not None:
                self.company_calls.setdefault(company_id, Counter())[key] += 1

    # --- the pipeline ---------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, query: str, headers, raw_body: bytes) -> Result:
        request_id = str(uuid.uuid4())
        path = unquote(raw_path)  # ":" and ">" may arrive percent-encoded
        params = parse_query(query)
        rate = (True, self.limiter.limit, self.limiter.limit, int(self.limiter.window))
        result = None
        template = None
        try:
            match = self.router.match(method, path)
            if match is None:
                if self.router.allowed(path):
                    raise errors.ApiError(405, 4000, f"Method {method} is not allowed for {path}")
                raise errors.ApiError(404, 6000, f"No endpoint for {method} {path}")
            route, path_params = match
            template = route.template
            req = Request(method, path, template, path_params, params, headers, raw_body=raw_body, app=self)
            rate_key = None
            if route.auth:
                self._authenticate(req, headers)
                rate_key = (req.session.consumer_token, req.session.employee_token)
            else:
                rate_key = (params.get("consumerToken"), params.get("employeeToken"))
                tok = self.store.employee_tokens.get(params.get("employeeToken", ""))
                if tok is not None:
                    req.company = self.store.companies.get(tok.company_id)
            company_id = req.company.id if req.company else None
            self._count(f"{method} {template}", company_id)
            rate = self.limiter.hit(rate_key)
            if not rate[0]:
                raise errors.ApiError(429, 0, "Too many requests. Rate limit exceeded.",
                                      headers={"Retry-After": str(rate[3])})
            decision = self.faults.decide(company_id, path, method in WRITE_METHODS) if self.faults.active() else None
            if decision is not None:
                self._apply_delays(decision)
                if decision.burst_reset is not None:
                    rate = (False, rate[1], 0, decision.burst_reset)
                    raise errors.ApiError(429, 0, "Too many requests. Rate limit exceeded.",
                                          headers={"Retry-After": str(decision.burst_reset)})
                if decision.error_status is not None:
                    raise errors.ApiError(decision.error_status, 1000,
                                          "En intern feil oppstod. Prøv igjen senere.",
                                          developer="FAKE_INJECTED_FAULT")
            req.body = self._parse_body(headers, raw_body)
            if self.validator is not None and isinstance(req.body, (dict, list)):
                self.validator.check_request(method, template, path, req.body)
            with self.store.lock:
                response = route.handler(req)
            result = Result(response.status, response.body, dict(response.headers))
            if decision is not None and decision.drop and method in WRITE_METHODS:
                result.drop = True
        except errors.ApiError as exc:
            result = Result(exc.status, exc.body(request_id), dict(exc.headers))
        except Exception:  # a bug in the fake must still answer in Tripletex's shape
            log.exception("unhandled error in %s %s", method, template or path)
            result = Result(500, errors.ApiError(500, 1000, "Internal error").body(request_id))
        if self.validator is not None and template is not None:
            self.validator.check_response(method, template, path, result.status, result.body)
        result.headers.update({
            "x-tlx-request-id": request_id,
            "X-Rate-Limit-Limit": str(rate[1]),
            "X-Rate-Limit-Remaining": str(rate[2]),
            "X-Rate-Limit-Reset": str(rate[3]),
        })
        return result

    def _apply_delays(self, decision) -> None:
        if decision.hang_seconds:
            self.stopping.wait(decision.hang_seconds)
        if decision.latency_ms:
            self.stopping.wait(decision.latency_ms / 1000.0)

    def _authenticate(self, req: Request, headers) -> None:
        auth = headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            raise errors.unauthorized("Unauthorized: use HTTP Basic auth with a session token.")
        try:
            user, _, token = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            raise errors.unauthorized("Unauthorized: malformed Authorization header.")
        with self.store.lock:
            session = self.store.sessions.get(token)
            if session is None:
                raise errors.unauthorized("Unauthorized: unknown or revoked session token.")
            if session.expiration_date < self.clock.oslo_today():
                del self.store.sessions[token]
                raise errors.unauthorized("Unauthorized: the session token has expired.")
            if user not in ("0", str(session.company_id)):
                raise errors.forbidden(f"No access to company {user}.")
            req.session = session
            req.company = self.store.companies[session.company_id]
            token = self.store.employee_tokens.get(session.employee_token)
            if token is not None and token.lacks_right(req.method, req.path):
                # As Tripletex answers an employee without the right for a function (or a module switched off).
                raise errors.forbidden("Du har ikke tilgang til denne funksjonen.",
                                       f"EMPLOYEE_LACKS_RIGHT: {req.method} {req.path}")

    @staticmethod
    def _parse_body(headers, raw: bytes):
        if not raw:
            return None
        if "json" not in headers.get("Content-Type", "application/json"):
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise errors.bad_request("Request body is not valid JSON.")
