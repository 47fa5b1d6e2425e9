"""`{% rate_budget_for as rate_budget %}`: lets a page show the company's Tripletex API budget without its view knowing."""
from django import template

from ..selectors import rate_budget_status

register = template.Library()


@register.simple_tag(takes_context=True)
def rate_budget_for(context):
    request = context.get("request")
    tenant = getattr(request, "tenant", None)
    return rate_budget_status(tenant=tenant) if tenant is not None else None
