"""Exceptions the Tripletex client raises, built from Tripletex's error envelope (`ApiError`).

Callers decide between "give up and show the admin" and "try again later" from the one `permanent` flag,
the way healthchecks' transports do; the subclasses exist for the cases that need their own handling.
`classify`, `describe` and `token_problem` at the end sort an error by Tripletex's status, code and the
fields it names, never by the wording of its message, which Tripletex may change or translate.
"""

from __future__ import annotations

import enum
import re
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


# Sorting errors for callers: by status, code and named fields, never by the words of a message.


class Refusal(enum.Enum):
    """What a failed call means for the caller."""

    LATER = "later"  # network, 5xx, rate limit: the same call may work later
    IN_DOUBT = "in_doubt"  # a create whose outcome is unknown: look it up by its key before sending it again
    CONFLICT = "conflict"  # 409: a stale version, or the object exists; re-read and decide
    GONE = "gone"  # 404: deleted in Tripletex, or never there
    LOCKED = "locked"  # 423: Tripletex says the object or its period is locked
    TOKEN = "token"  # 401/403, a refused session: the API key, or the rights of its employee
    INVALID = "invalid"  # 400/422: Tripletex refused the data. A locked period is answered this way too;
    # only Tripletex's own status tells it apart (the entry's `locked`, the month's approval).


_REFUSAL_BY_CLASS: tuple[tuple[type[TripletexError], Refusal], ...] = (
    (InDoubt, Refusal.IN_DOUBT),
    (Transient, Refusal.LATER),
    (Conflict, Refusal.CONFLICT),
    (NotFound, Refusal.GONE),
    (Locked, Refusal.LOCKED),
    (Unauthorized, Refusal.TOKEN),
    (Forbidden, Refusal.TOKEN),
)


def classify(exc: TripletexError) -> Refusal:
    for cls, refusal in _REFUSAL_BY_CLASS:
        if isinstance(exc, cls):
            return refusal
    return Refusal.INVALID if exc.permanent else Refusal.LATER


def describe(exc: TripletexError) -> str:
    """Tripletex's message with the field messages it gave, for the admin to read (at most 2,000 characters)."""
    text = exc.message or ""
    if exc.validation:
        text += " (" + "; ".join(f"{k}: {v}" if k else v for k, v in exc.validation.items()) + ")"
    return text[:2000]


def refused_fields(exc: TripletexError) -> set[str]:
    """The fields Tripletex named in `validationMessages`, without its "arg:" prefix for query parameters."""
    return {name.removeprefix("arg:") for name in exc.validation if name}


_DEVELOPER_CODE = re.compile(r"[A-Z][A-Z0-9_]{2,}")


def developer_code(exc: TripletexError) -> str:
    """The machine code a `developerMessage` starts with (`EMPLOYEE_TOKEN_REVOKED: …`), or ""."""
    match = _DEVELOPER_CODE.match(exc.developer_message or "")
    return match.group(0) if match else ""


class TokenProblem(enum.Enum):
    """Why Tripletex refused to make a session from an employee token."""

    CONSUMER = "consumer"  # our consumer token: a fault on our side, not the admin's
    WRONG_APPLICATION = "wrong_application"  # the key was made for another application name
    REVOKED = "revoked"
    UNKNOWN = "unknown"  # not a key Tripletex knows (mistyped, cut short)


_TOKEN_CODES = {
    "CONSUMER_TOKEN_UNKNOWN": TokenProblem.CONSUMER,
    "EMPLOYEE_TOKEN_APPLICATION_MISMATCH": TokenProblem.WRONG_APPLICATION,
    "EMPLOYEE_TOKEN_REVOKED": TokenProblem.REVOKED,
    "EMPLOYEE_TOKEN_UNKNOWN": TokenProblem.UNKNOWN,
}


def token_problem(exc: TripletexError) -> TokenProblem:
    """Sort a refused session (`TokenRejected`) by the code and the field Tripletex gave.

    Tripletex names the refused query parameter (422 with `arg:consumerToken` for a consumer token it does not
    know); the fake Tripletex also starts its developer message with a code for each refusal.
    """
    if developer_code(exc) in _TOKEN_CODES:
        return _TOKEN_CODES[developer_code(exc)]
    fields = refused_fields(exc)
    if "consumerToken" in fields:
        return TokenProblem.CONSUMER
    return TokenProblem.UNKNOWN
