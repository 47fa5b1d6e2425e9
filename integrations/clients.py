"""Makes the Tripletex client for a company from settings: the one place base URL, consumer token and timeouts meet."""
import hashlib
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

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


def environment_hint() -> str:
    """For a refused key: which Tripletex this app talks to (`TRIPLETEX_BASE_URL`). Tripletex's test environment
    has keys of its own, and a key from one environment pasted into the other is refused like an unknown key."""
    url = settings.TRIPLETEX_BASE_URL
    host = (urlsplit(url).hostname or "").lower()
    if host in ("tripletex.no", "www.tripletex.no"):
        where = _("Tripletex' produksjonsmiljø")
    elif "test" in host or host.endswith(".tech"):
        where = _("Tripletex' testmiljø")
    else:
        where = _("Tripletex på en egen adresse")
    return _("Er nøkkelen laget i et annet Tripletex-miljø? Denne tjenesten er koblet til %(where)s (%(url)s), "
             "og en nøkkel laget i testmiljøet virker ikke i produksjon, eller omvendt.") % {"where": where, "url": url}


def client_for_connection(connection: Connection, **overrides) -> TripletexClient:
    if not connection.is_active or not connection.employee_token:
        raise ValueError("Only an active connection with a token talks to Tripletex")
    overrides.setdefault("rate_limiter", budget_for_connection(connection))
    return tripletex_client(employee_token=connection.employee_token, **overrides)


# One client per company per worker process: a new client per task would make a new session token per task
# and double the calls. Keyed by the token's fingerprint, so a new token (a wizard refresh) gets a new client.
_POOL: dict[tuple, TripletexClient] = {}
_POOL_SIZE = 256


def pooled_client_for_connection(connection: Connection, **overrides) -> TripletexClient:
    """`client_for_connection`, made once per company, token and options in this process and reused."""
    fingerprint = hashlib.sha256(connection.employee_token.encode()).hexdigest()
    key = (connection.tenant_id, connection.tripletex_company_id, fingerprint, tuple(sorted(overrides.items())))
    client = _POOL.get(key)
    if client is None:
        client = client_for_connection(connection, **overrides)
        # The company's client for an old token or another Tripletex company: its session is of no more use.
        for old in [k for k in _POOL if k[0] == key[0] and k[3] == key[3]]:
            _POOL.pop(old).close()
        if len(_POOL) >= _POOL_SIZE:
            _POOL.pop(next(iter(_POOL))).close()
        _POOL[key] = client
    return client


def close_pooled_clients() -> None:
    while _POOL:
        _POOL.popitem()[1].close()
