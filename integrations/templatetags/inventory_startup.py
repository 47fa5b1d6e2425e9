"""The start-up sync's offer on the inventory connector's card: whether one has run, and its last run."""
from django import template

from ..connectors.inventory import startup
from ..connectors.selectors import run_in_progress

register = template.Library()


@register.simple_tag(takes_context=True)
def inventory_startup_state(context) -> dict:
    tenant = getattr(context.get("request"), "tenant", None)
    if tenant is None:
        return {"done": False, "last": None, "running": False}
    last = startup.last_startup_run(tenant=tenant)
    return {"done": startup.startup_done(tenant=tenant), "last": last, "running": run_in_progress(last)}
