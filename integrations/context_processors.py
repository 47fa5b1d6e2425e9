"""Context every page gets from the integration: the banner while Tripletex refuses the company's key."""
from .models import Connection


def connection_health(request) -> dict:
    """For a company admin only, one query: when Tripletex refused the key, if it waits for a new one."""
    tenant = getattr(request, "tenant", None)
    membership = getattr(request, "membership", None)
    if tenant is None or membership is None or not membership.is_admin:
        return {}
    refused = Connection.objects.filter(tenant=tenant, state=Connection.State.NEEDS_TOKEN).values(
        "token_refused_at").first()
    return {"tripletex_key_refused": refused} if refused is not None else {}
