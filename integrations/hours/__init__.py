"""Approved hours to Tripletex (seed 001, and seed 004's export per period), and the hooks that start it.

The rule for several entries on one Tripletex key: Tripletex holds one timesheet entry per employee, date,
project and activity, so every approved entry with that key is summed into one Tripletex entry (an
`HourSlot`); when one of them changes, is rejected or deleted, the sum is written again with the version
we hold (or the entry deleted when nothing is left). Hours on a wage type are summed the same way into
one wage-type count per employee, date and wage type. A sum holds only hours meant to be in Tripletex:
never those of an entry held, failed or locked, which keeps its mark until it is sent.

Hours typed by hand in Tripletex on the same key are someone else's: ours are added to them, and only our
part is ever changed or taken back (`slots`).

The approve service calls the first two hooks inside its transaction; connection_activate calls the
third after commit. Each writes the outbox (`outbox`) and enqueues the push on commit, so a task never
runs before the rows it is meant to send exist.

- `outbox`: the rows that say what must reach Tripletex; approve, reject, retry, release held, export per period.
- `push`: claim due rows, send them in batches, the sweep, each row's outcome and the run's.
- `batch`: send one claimed batch: links, holds, then `entries` (timesheet entries) and `wages` (counts
  per wage type), each making Tripletex hold what `slots` says a slot must hold.
- `selectors`: reads for the pages. The knobs are the `HOURS_*` settings.
"""
from django.db import transaction


def on_entries_approved(*, tenant, entry_ids: list[int]) -> None:
    from .outbox import hour_transfers_record_approved

    if hour_transfers_record_approved(tenant=tenant, entry_ids=entry_ids):
        enqueue_push_on_commit(tenant_id=tenant.id)


def on_entries_unapproved(*, tenant, entry_ids: list[int]) -> None:
    from .outbox import hour_transfers_record_unapproved

    if hour_transfers_record_unapproved(tenant=tenant, entry_ids=entry_ids):
        enqueue_push_on_commit(tenant_id=tenant.id)


def on_connection_activated(*, tenant_id: int) -> None:
    """Ferdigstill (first time or a refresh): what waited for a link, or for the connection, goes now."""
    from django_scopes import scope

    from tenants.models import Tenant

    from .outbox import hour_transfers_release_held

    tenant = Tenant.objects.filter(id=tenant_id).first()
    if tenant is None:
        return
    with scope(tenant=tenant):
        hour_transfers_release_held(tenant=tenant)
    enqueue_push_on_commit(tenant_id=tenant_id)


def enqueue_push_on_commit(*, tenant_id: int) -> None:
    from ..tasks import enqueue_push

    # robust: a broker that is down must not undo an approval that has committed; the sweep sends it later.
    transaction.on_commit(lambda: enqueue_push(tenant_id=tenant_id), robust=True)
