"""`TripletexClient`: one tenant's connection to Tripletex — its session, and every call the product makes."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests

from . import errors
from .paging import DEFAULT_PAGE_SIZE, Progress, iter_values
from .ratelimit import Limiter
from .resources import (
    ActivityMixin,
    CustomerMixin,
    EmployeeMixin,
    EventMixin,
    InvoiceMixin,
    LedgerMixin,
    OrderMixin,
    ProductMixin,
    ProjectMixin,
    PurchaseOrderMixin,
    SalaryTypeMixin,
    SupplierMixin,
    TimesheetMixin,
)
from .resources.base import Fields, fields_param
from .retry import RetryPolicy
from .session import Credentials, SessionToken, expiration_date_for
from .transport import Response, Transport

SESSION_CREATE_PATH = "/token/session/:create"
WHO_AM_I_PATH = "/token/session/>whoAmI"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TripletexClient(
    EmployeeMixin,
    ActivityMixin,
    SalaryTypeMixin,
    TimesheetMixin,
    ProjectMixin,
    CustomerMixin,
    SupplierMixin,
    ProductMixin,
    OrderMixin,
    InvoiceMixin,
    PurchaseOrderMixin,
    LedgerMixin,
    EventMixin,
):
    """A tenant's Tripletex connection. Cheap to make; make one per tenant per task and `close()` it.

    Reads return the `value` dict (or the list of `values`, all pages fetched) exactly as Tripletex sends
    it, except that non-integer numbers (amounts, hours) arrive as `Decimal`, integers as `int`.
    Errors are `TripletexError` subclasses; check `.permanent` to choose between "tell the admin" and
    "try again later".
    """

    def __init__(
        self,
        *,
        base_url: str,
        consumer_token: str,
        employee_token: str,
        company_id: int = 0,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        session_valid_days: int = 2,
        session_renew_margin: dt.timedelta = dt.timedelta(minutes=30),
        retry: RetryPolicy | None = None,
        rate_limit_headroom: int = 10,
        rate_limiter: Limiter | None = None,
        max_rate_limit_wait: float = 30.0,
        page_size: int = DEFAULT_PAGE_SIZE,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = _utc_now,
        rand: Callable[[], float] = random.random,
        http: requests.Session | None = None,
    ) -> None:
        if not consumer_token or not employee_token:
            raise ValueError("both the consumer token and the employee token are needed")
        self._credentials = Credentials(consumer_token, employee_token, company_id)
        self._session: SessionToken | None = None
        self._session_lock = threading.Lock()
        self._session_valid_days = session_valid_days
        self._session_renew_margin = session_renew_margin
        self._now = now
        self.page_size = page_size
        self.transport = Transport(
            base_url,
            timeout=(connect_timeout, read_timeout),
            retry=retry,
            rate_limit_headroom=rate_limit_headroom,
            rate_limiter=rate_limiter,
            max_rate_limit_wait=max_rate_limit_wait,
            sleep=sleep,
            clock=clock,
            rand=rand,
            http=http,
            redact=self._redact,
        )

    def __repr__(self) -> str:
        return f"TripletexClient(base_url={self.transport.base_url!r}, company_id={self._credentials.company_id})"

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> TripletexClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Sessions

    def create_session(self) -> SessionToken:
        """Make a fresh session token now. Refusals (wrong application, revoked token) raise `TokenRejected`."""
        expiration = expiration_date_for(
            self._now(), valid_days=self._session_valid_days, renew_margin=self._session_renew_margin
        )
        params = {
            "consumerToken": self._credentials.consumer_token,
            "employeeToken": self._credentials.employee_token,
            "expirationDate": expiration,
        }
        try:
            # Creating a session has no side effect worth fearing, so it is retried like a read.
            response = self.transport.request("PUT", SESSION_CREATE_PATH, params=params, retry_safe=True)
        except errors.TripletexError as exc:
            if not exc.permanent:
                raise
            raise errors.TokenRejected(
                exc.status,
                exc.code,
                exc.message,
                developer_message=exc.developer_message,
                validation=exc.validation,
                request_id=exc.request_id,
                permanent=True,
                method=exc.method,
                path=exc.path,
            ) from None
        value = (response.body or {}).get("value") if isinstance(response.body, dict) else None
        try:
            session = SessionToken.from_value(value or {})
        except ValueError:
            raise errors.ServerError(
                response.status,
                None,
                "Tripletex's session answer had no usable token",
                permanent=False,
                request_id=response.request_id,
                method="PUT",
                path=SESSION_CREATE_PATH,
            ) from None
        self._session = session
        return session

    def ensure_session(self) -> SessionToken:
        """The current session, renewed first when it is about to expire."""
        with self._session_lock:
            session = self._session
            if session is None or session.needs_renewal(self._now(), margin=self._session_renew_margin):
                session = self.create_session()
            return session

    def _renew_after_401(self, rejected: SessionToken) -> SessionToken:
        with self._session_lock:
            # Another thread may already have replaced the session that was refused.
            if self._session is not None and self._session is not rejected:
                return self._session
            return self.create_session()

    def _redact(self, text: str) -> str:
        secrets = [self._credentials.consumer_token, self._credentials.employee_token]
        if self._session is not None:
            secrets.append(self._session.token)
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    def who_am_i(self, *, fields: Fields = "*,company(*),employee(*)") -> dict:
        """The company and employee the token belongs to (`companyId`, `employeeId`, `company`, `employee`)."""
        return self.read(WHO_AM_I_PATH, fields=fields)

    # The call shapes the entity mixins use

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        files: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        retry_safe: bool,
    ) -> Response:
        """One authenticated call; on 401 the session is renewed once and the call sent once more
        (a 401 means Tripletex did nothing, so even a POST may be resent)."""
        session = self.ensure_session()
        user = str(self._credentials.company_id)
        kwargs = {"params": params, "body": body, "files": files, "headers": headers, "retry_safe": retry_safe}
        try:
            return self.transport.request(method, path, auth=(user, session.token), **kwargs)
        except errors.Unauthorized:
            session = self._renew_after_401(session)
        return self.transport.request(method, path, auth=(user, session.token), **kwargs)

    def read(self, path: str, *, fields: Fields = None, params: Mapping[str, Any] | None = None) -> Any:
        query = {**(params or {}), "fields": fields_param(fields)}
        response = self.call("GET", path, params=query, retry_safe=True)
        return _unwrap(response)

    def paginate(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        progress: Progress | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Iterator[dict]:
        """Every value of a list endpoint, one page per call, fetched lazily as the caller iterates."""
        base = {**(params or {}), "fields": fields_param(fields), "sorting": sorting}

        def fetch_page(offset: int, count: int) -> Mapping[str, Any]:
            response = self.call("GET", path, params={**base, "from": offset, "count": count}, retry_safe=True)
            return response.body if isinstance(response.body, dict) else {}

        return iter_values(fetch_page, page_size=page_size or self.page_size, progress=progress, limit=limit)

    def list_page(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        offset: int = 0,
        count: int | None = None,
        version_digest: str | None = None,
    ) -> dict | None:
        """One raw `ListResponse` page. With `version_digest` (from an earlier page) Tripletex answers
        304 when nothing changed, and this returns None: cheap polling for the nightly reconcile."""
        query = {
            **(params or {}),
            "fields": fields_param(fields),
            "sorting": sorting,
            "from": offset,
            "count": count or self.page_size,
        }
        headers = {"If-None-Match": version_digest} if version_digest else None
        response = self.call("GET", path, params=query, headers=headers, retry_safe=True)
        if response.status == 304:
            return None
        return response.body if isinstance(response.body, dict) else {}

    def write(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: Mapping[str, Any] | None = None,
        retry_safe: bool,
    ) -> Any:
        response = self.call(method, path, params=params, body=body, retry_safe=retry_safe)
        return _unwrap(response)

    def delete(self, path: str, *, params: Mapping[str, Any] | None = None, retry_safe: bool) -> None:
        self.call("DELETE", path, params=params, retry_safe=retry_safe)

    def upload(self, path: str, *, files: Mapping[str, Any]) -> Any:
        return _unwrap(self.call("POST", path, files=files, retry_safe=False))


def _unwrap(response: Response) -> Any:
    """`{"value": …}` → the value; `{"values": […]}` (list writes) → the list."""
    body = response.body
    if isinstance(body, dict):
        if "value" in body:
            return body["value"]
        if "values" in body:
            return body["values"]
    return body
