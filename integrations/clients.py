"""Makes the Tripletex client for a company from settings: the one place base URL, consumer token and timeouts meet."""
from django.conf import settings

from .models import Connection
from .tripletex import TripletexClient


def tripletex_client(*, employee_token: str, **overrides) -> TripletexClient:
    options = {
        "base_url": settings.TRIPLETEX_BASE_URL,
        "consumer_token": settings.TRIPLETEX_CONSUMER_TOKEN,
        "employee_token": employee_token,
        "connect_timeout": settings.TRIPLETEX_CONNECT_TIMEOUT,
        "read_timeout": settings.TRIPLETEX_READ_TIMEOUT,
    }
    options.update(overrides)
    return TripletexClient(**options)


def client_for_connection(connection: Connection, **overrides) -> TripletexClient:
    if not connection.is_active or not connection.employee_token:
        raise ValueError("Only an active connection with a token talks to Tripletex")
    return tripletex_client(employee_token=connection.employee_token, **overrides)
