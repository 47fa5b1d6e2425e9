"""The operations page ("Drift"): the platform operator's view of queues, outboxes and runs of every company."""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import selectors


@never_cache
@require_GET
@login_required
def overview(request):
    # Every company's state: for the platform's operator (a superuser), never for a company's own staff.
    if not request.user.is_superuser:
        raise PermissionDenied
    return render(request, "ops/overview.html", {
        "queues": selectors.queue_depths(),
        "backlog": selectors.outbox_backlog(),
        "runs": selectors.last_runs(),
        "refused": selectors.connections_needing_a_key(),
        "recent_hours": selectors.RECENT_HOURS,
    })
