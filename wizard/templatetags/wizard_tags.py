"""The wizard's template helpers, and the one thing other pages ask of it: is a wizard run open?"""
from django import template

from ..models import Draft

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag(takes_context=True)
def wizard_open(context) -> bool:
    """Whether the company has a wizard run in progress, so the status card offers to continue it."""
    tenant = getattr(context.get("request"), "tenant", None)
    return tenant is not None and Draft.objects.filter(tenant=tenant).exists()
