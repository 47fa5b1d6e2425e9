"""Makes the Tripletex client for a company from settings: the one place base URL, consumer token and timeouts meet."""
from django.conf import settings

from .models import Connection
from .ratebudget import budget_for_company, budget_for_connection
from .tripletex import TripletexClient


def tripletex_client(*, employee_token: str, tripletex_company_id: int | None = None, **overrides) -> TripletexClient:
    """A client for a token; given the Tripletex company it belongs to, its calls count against that
    company's budget, shared with every worker. Without (a token not checked yet) it paces itself alone."""
    options = {
        "base_url": settings.TRIPLETEX_BASE_URL,
        "consumer_token": settings.TRIPLETEX_CONSUMER_TOKEN,
        "employee_token": employee_token,
        "connect_timeout": settings.TRIPLETEX_CONNECT_TIMEOUT,
        "read_timeout": settings.TRIPLETEX_READ_TIMEOUT,
        "rate_limit_headroom": settings.TRIPLETEX_RATE_LIMIT_HEADROOM,
    }
    if tripletex_company_id:
        options["rate_limiter"] = budget_for_company(tripletex_company_id)
    options.update(overrides)
    return TripletexClient(**options)


def client_for_connection(connection: Connection, **overrides) -> TripletexClient:
    if not connection.is_active or not connection.employee_token:
        raise ValueError("Only an active connection with a token talks to Tripletex")
    overrides.setdefault("rate_limiter", budget_for_connection(connection))
    return tripletex_client(employee_token=connection.employee_token, **overrides)
