"""The one Tripletex API v2 client every feature goes through: plain Python on `requests`, no Django.

    from integrations.tripletex import TripletexClient, TripletexError, InDoubt

    with TripletexClient(base_url=settings.TRIPLETEX_BASE_URL, consumer_token=settings.TRIPLETEX_CONSUMER_TOKEN,
                         employee_token=connection.employee_token) as tx:
        me = tx.who_am_i()                                    # {"companyId": …, "company": {…}, …}
        projects = tx.project_list(is_closed=False, fields="id,number,name",
                                   progress=lambda done, total: print(done, total))
        try:
            tx.timesheet_entry_create_many(entries)
        except InDoubt:
            ...   # may have been created: reconcile with tx.timesheet_entry_search(...) before resending
        except TripletexError as exc:
            ...   # exc.permanent: show exc.message / exc.validation to the admin; else retry later

Lists fetch all pages and return `list[dict]`; `paginate()` streams. Non-integer numbers come back as
`Decimal`. Updates take the `version` you read and raise `Conflict` when it is stale.
"""

from . import redaction
from .client import TripletexClient
from .errors import (
    BadRequest,
    Conflict,
    ConnectionFailed,
    Forbidden,
    InDoubt,
    Locked,
    NotFound,
    RateLimited,
    ServerError,
    TimedOut,
    TokenRejected,
    Transient,
    TripletexError,
    Unauthorized,
    ValidationFailed,
)
from .paging import Progress
from .retry import RetryPolicy
from .session import SessionToken

redaction.install()

__all__ = [
    "BadRequest",
    "Conflict",
    "ConnectionFailed",
    "Forbidden",
    "InDoubt",
    "Locked",
    "NotFound",
    "Progress",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "SessionToken",
    "TimedOut",
    "TokenRejected",
    "Transient",
    "TripletexClient",
    "TripletexError",
    "Unauthorized",
    "ValidationFailed",
]
