"""One HTTP call to Tripletex, done right: timeouts, pacing, retries of what is safe, error translation, a log line.

Everything above this module (sessions, paging, the entity methods) goes through `Transport.request`, so
these rules hold for every call in one place, the way Sentry's ApiClient does it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import requests
import urllib3.exceptions

from . import errors
from .ratelimit import Limiter, RateLimiter, Reservation, reset_after
from .retry import RetryPolicy

logger = logging.getLogger("integrations.tripletex")

REQUEST_ID_HEADER = "x-tlx-request-id"


@dataclass
class Response:
    status: int
    body: Any = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)
    request_id: str | None = None


def _encode_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        # float() gives back the same digits for any amount with fewer than 16 significant digits, and the
        # standard json module has no other way to write a number.
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} to Tripletex")


def encode_body(body: Any) -> bytes:
    return json.dumps(body, default=_encode_json, ensure_ascii=False).encode("utf-8")


def encode_params(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Tripletex wants `true`/`false`, comma-separated id lists and ISO dates in the query string."""
    out: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, list | tuple | set | frozenset):
            out[key] = ",".join(str(_scalar(v)) for v in value)
        else:
            out[key] = str(_scalar(value))
    return out


def _scalar(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _never_sent(exc: BaseException) -> bool:
    """True when the connection failed before any byte of the request left, so even a POST may be resent."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError):
            return True
        if isinstance(current, BaseException):
            stack.extend(current.args)
            stack.append(getattr(current, "reason", None))
            stack.append(current.__cause__)
            stack.append(current.__context__)
    return False


class Transport:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy | None = None,
        rate_limit_headroom: int = 10,
        rate_limiter: Limiter | None = None,
        max_rate_limit_wait: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
        http: requests.Session | None = None,
        redact: Callable[[str], str] = lambda text: text,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.max_rate_limit_wait = max_rate_limit_wait
        self.limiter = rate_limiter or RateLimiter(headroom=rate_limit_headroom, clock=clock)
        self._sleep = sleep
        self._clock = clock
        self._rand = rand
        self._http = http or requests.Session()
        self._redact = redact

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        files: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        retry_safe: bool,
    ) -> Response:
        """Send one logical call; retries inside only when repeating it cannot do harm.

        `retry_safe` says whether the call may be sent twice (reads, versioned writes, session creation).
        A call that is not is never resent once it may have reached Tripletex: it raises `InDoubt`.
        """
        method = method.upper()
        url = self.base_url + path
        query = encode_params(params)
        send_headers = {"Accept": "application/json"}
        data: bytes | None = None
        if body is not None:
            data = encode_body(body)
            send_headers["Content-Type"] = "application/json; charset=utf-8"
        send_headers.update(headers or {})

        attempt = 0  # attempts that failed in a way the retry policy counts (5xx, timeouts, drops)
        limited = 0  # 429s seen; bounded by the wait cap, not by the retry policy
        waited = 0.0
        maybe_applied = False
        while True:
            slept, reservation = self._pace(method, path, waited)
            waited += slept
            started = self._clock()
            failure: errors.TripletexError | None = None
            sent = True
            raw: requests.Response | None = None
            try:
                raw = self._http.request(
                    method,
                    url,
                    params=query,
                    data=data,
                    files=files,
                    headers=send_headers,
                    auth=auth,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.exceptions.ConnectTimeout:
                sent = False
                failure = errors.TimedOut(None, None, "Tripletex did not accept the connection in time", permanent=False)
            except requests.exceptions.ReadTimeout:
                failure = errors.TimedOut(None, None, "Tripletex did not answer in time", permanent=False)
            except requests.exceptions.ConnectionError as exc:
                sent = not _never_sent(exc)
                failure = errors.ConnectionFailed(
                    None,
                    None,
                    "the connection to Tripletex broke" if sent else "could not connect to Tripletex",
                    permanent=False,
                )
            elapsed_ms = int((self._clock() - started) * 1000)

            if failure is not None:
                # The exception is rebuilt outside the `except` on purpose: requests' own exception text
                # carries the full URL, and session creation puts tokens in the query string.
                failure.method, failure.path = method, path
                self._log(method, path, type(failure).__name__, elapsed_ms, None, attempt + 1, logging.WARNING)
                if not sent:
                    attempt += 1
                    if attempt < self.retry.attempts:
                        self._sleep(self.retry.backoff(attempt, self._rand))
                        continue
                    raise failure
                if not retry_safe:
                    raise errors.InDoubt(
                        None,
                        None,
                        f"{failure.message}; the write may or may not have been applied",
                        permanent=False,
                        method=method,
                        path=path,
                    )
                maybe_applied = maybe_applied or method != "GET"
                attempt += 1
                if attempt < self.retry.attempts:
                    self._sleep(self.retry.backoff(attempt, self._rand))
                    continue
                raise failure

            assert raw is not None
            self.limiter.observe(raw.headers, reservation)
            decoded, readable = _decode(raw)
            request_id = raw.headers.get(REQUEST_ID_HEADER) or (
                decoded.get("requestId") if isinstance(decoded, dict) else None
            )
            status = raw.status_code
            level = logging.INFO if status < 500 else logging.WARNING
            self._log(method, path, status, elapsed_ms, request_id, attempt + 1, level)

            if status == 429:
                limited += 1
                wait = reset_after(raw.headers)
                if wait is None:
                    # Seen in the wild: a 429 without the reset header. Back off instead of hammering.
                    wait = min(self.max_rate_limit_wait, 2.0 ** min(limited, 6)) * (0.5 + self._rand() / 2)
                if waited + wait > self.max_rate_limit_wait:
                    raise self._error(raw, decoded, request_id, method, path, reset_after_seconds=wait)
                self._sleep(wait)
                waited += wait
                self.limiter.window_passed()
                continue

            if 200 <= status < 300 or status == 304:
                if readable or status in (204, 304) or not raw.content:
                    return Response(status=status, body=decoded, headers=raw.headers, request_id=request_id)
                if not retry_safe:
                    raise errors.InDoubt(
                        status,
                        None,
                        "Tripletex accepted the write but its answer could not be read",
                        permanent=False,
                        request_id=request_id,
                        method=method,
                        path=path,
                    )
                attempt += 1
                if attempt < self.retry.attempts:
                    self._sleep(self.retry.backoff(attempt, self._rand))
                    continue
                raise errors.ServerError(
                    status,
                    None,
                    "Tripletex's answer could not be read",
                    permanent=False,
                    request_id=request_id,
                    method=method,
                    path=path,
                )

            if status >= 500:
                if not retry_safe:
                    # A gateway error or a crash after the commit is indistinguishable from one before it.
                    error = self._error(raw, decoded, request_id, method, path)
                    raise errors.InDoubt(
                        status,
                        error.code,
                        f"{error.message}; the write may or may not have been applied",
                        developer_message=error.developer_message,
                        request_id=request_id,
                        permanent=False,
                        method=method,
                        path=path,
                    )
                maybe_applied = maybe_applied or method != "GET"
                attempt += 1
                if attempt < self.retry.attempts:
                    self._sleep(self.retry.backoff(attempt, self._rand))
                    continue

            error = self._error(raw, decoded, request_id, method, path)
            if isinstance(error, errors.Conflict):
                error.maybe_applied = maybe_applied
            raise error

    def _pace(self, method: str, path: str, waited: float) -> tuple[float, Reservation]:
        """Take one call from the budget, sleeping while it is spent down to the headroom: (time slept, the call).

        Asks again after each sleep: with a budget shared by several workers, another may have taken the
        fresh window's calls first.
        """
        slept = 0.0
        while True:
            reservation = self.limiter.reserve()
            if reservation.wait <= 0:
                return slept, reservation
            if waited + slept + reservation.wait > self.max_rate_limit_wait:
                raise errors.RateLimited(
                    429,
                    None,
                    "rate limit nearly used up; try again after the reset",
                    permanent=False,
                    reset_after=reservation.wait,
                    method=method,
                    path=path,
                )
            self._sleep(reservation.wait)
            slept += reservation.wait
            self.limiter.window_passed()

    def _error(
        self,
        raw: requests.Response,
        decoded: Any,
        request_id: str | None,
        method: str,
        path: str,
        *,
        reset_after_seconds: float | None = None,
    ) -> errors.TripletexError:
        status = raw.status_code
        envelope = errors.parse_envelope(decoded)
        cls = errors.error_class_for(status)
        message = envelope.get("message") or raw.reason or f"HTTP {status}"
        kwargs: dict[str, Any] = {}
        if cls is errors.RateLimited:
            kwargs["reset_after"] = reset_after_seconds
        developer_message = envelope.get("developer_message")
        return cls(
            status,
            envelope.get("code"),
            self._redact(str(message)),
            developer_message=self._redact(developer_message) if developer_message else None,
            validation={k: self._redact(v) for k, v in (envelope.get("validation") or {}).items()},
            request_id=request_id,
            permanent=errors.is_permanent(status),
            method=method,
            path=path,
            **kwargs,
        )

    def _log(
        self, method: str, path: str, status: Any, elapsed_ms: int, request_id: str | None, attempt: int, level: int
    ) -> None:
        # Only the path: the query string of session creation holds both long-lived tokens.
        logger.log(
            level,
            "tripletex %s %s status=%s duration_ms=%d request_id=%s attempt=%d",
            method,
            path,
            status,
            elapsed_ms,
            request_id or "-",
            attempt,
            extra={
                "tripletex_method": method,
                "tripletex_path": path,
                "tripletex_status": status,
                "duration_ms": elapsed_ms,
                "tripletex_request_id": request_id,
            },
        )


def _decode(raw: requests.Response) -> tuple[Any, bool]:
    """The JSON body with non-integer numbers as Decimal (amounts, hours), and whether it could be read."""
    if not raw.content:
        return None, False
    try:
        return json.loads(raw.content, parse_float=Decimal), True
    except ValueError:
        return None, False
