"""`{% hours_status_for as hours_status %}`: lets the status card show the hours line without its view knowing."""
from django import template

from ..hours.selectors import hours_status

register = template.Library()


@register.simple_tag(takes_context=True)
def hours_status_for(context):
    request = context.get("request")
    tenant = getattr(request, "tenant", None)
    return hours_status(tenant=tenant) if tenant is not None else None
