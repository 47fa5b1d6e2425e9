"""Exceptions the Tripletex client raises, built from Tripletex's error envelope (`ApiError`).

Callers decide between "give up and show the admin" and "try again later" from the one `permanent` flag,
the way healthchecks' transports do; the subclasses exist for the cases that need their own handling.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class TripletexError(Exception):
    """A call to Tripletex failed.

    `message` is Tripletex's text for the admin; `validation` maps field → message; `developer_message`
    and `request_id` are for the log and for Tripletex support. Never carries a token.
    """

    def __init__(
        self,
        status: int | None,
        code: int | None,
        message: str,
        *,
        developer_message: str | None = None,
        validation: Mapping[str, str] | None = None,
        request_id: str | None = None,
        permanent: bool,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.developer_message = developer_message
        self.validation: dict[str, str] = dict(validation or {})
        self.request_id = request_id
        self.permanent = permanent
        self.method = method
        self.path = path
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = [f"{self.status or '-'}"]
        if self.code:
            parts.append(f"code {self.code}")
        text = " ".join(parts) + f": {self.message}"
        if self.validation:
            text += " (" + "; ".join(f"{k}: {v}" for k, v in self.validation.items()) + ")"
        if self.method and self.path:
            text += f" [{self.method} {self.path}]"
        if self.request_id:
            text += f" requestId={self.request_id}"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r}, "
            f"request_id={self.request_id!r}, permanent={self.permanent!r})"
        )


class BadRequest(TripletexError):
    """400: the request itself is wrong (a bug on our side, or a query Tripletex will not answer)."""


class Unauthorized(TripletexError):
    """401: not authenticated even after renewing the session; the tenant must paste a new token."""


class TokenRejected(Unauthorized):
    """Session creation was refused: wrong application name, revoked employee token or wrong consumer token.

    Whatever status Tripletex used (401/403/404/422…), the fix is the same: a new token from the admin.
    """


class Forbidden(TripletexError):
    """403: the token's employee lacks the right, or a Tripletex module is switched off."""


class NotFound(TripletexError):
    """404: the object does not exist (or was deleted in Tripletex)."""


class Conflict(TripletexError):
    """409: stale `version`, object exists, or duplicate. Re-read and decide; never overwrite blindly.

    `maybe_applied` is True when an earlier attempt of the same versioned write timed out or dropped, so the
    conflict may be with our own write that did go through.
    """

    maybe_applied: bool = False


class ValidationFailed(TripletexError):
    """422: Tripletex refused the data (required field, locked period, …); see `validation`."""


class Locked(TripletexError):
    """423: the object or period is locked in Tripletex."""


class Transient(TripletexError):
    """Worth trying again later: the server, the network or the rate limit got in the way."""


class ServerError(Transient):
    """5xx from Tripletex, or a response the client could not read, on a call safe to repeat."""


class TimedOut(Transient):
    """No answer within the read timeout (or no connection within the connect timeout)."""


class ConnectionFailed(Transient):
    """The connection could not be made or broke on a call that is safe to repeat."""


class RateLimited(Transient):
    """Tripletex's rate limit would make us wait longer than the client's cap; reschedule after `reset_after`."""

    def __init__(self, *args: Any, reset_after: float | None = None, **kwargs: Any) -> None:
        self.reset_after = reset_after
        super().__init__(*args, **kwargs)


class InDoubt(TripletexError):
    """A write that is not safe to repeat may or may not have happened (timeout or drop after sending, 5xx).

    Look the object up by its natural key before sending it again. Not `permanent`: the data is fine.
    """


_BY_STATUS: dict[int, type[TripletexError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: ValidationFailed,
    423: Locked,
    429: RateLimited,
}


def is_permanent(status: int) -> bool:
    return 400 <= status < 500 and status != 429


def error_class_for(status: int) -> type[TripletexError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return TripletexError


def parse_envelope(body: Any) -> dict[str, Any]:
    """Pull the `ApiError` fields out of a decoded body, tolerating bodies that are not the envelope."""
    if not isinstance(body, Mapping):
        return {}
    validation: dict[str, str] = {}
    for item in body.get("validationMessages") or ():
        if not isinstance(item, Mapping):
            continue
        field = item.get("field") or item.get("path") or ""
        message = str(item.get("message") or "")
        # Several messages for one field: keep them all rather than losing one silently.
        validation[field] = f"{validation[field]}; {message}" if field in validation else message
    code = body.get("code")
    return {
        "code": code if isinstance(code, int) else None,
        "message": body.get("message"),
        "developer_message": body.get("developerMessage"),
        "validation": validation,
        "request_id": body.get("requestId"),
    }
