"""Hooks through which approved hours reach Tripletex.

The approve service calls the first two inside its transaction; connection_activate calls the
third after commit. The hours push fills them in (outbox rows, a task enqueued on commit).
"""


def on_entries_approved(*, tenant, entry_ids: list[int]) -> None:
    return None


def on_entries_unapproved(*, tenant, entry_ids: list[int]) -> None:
    return None


def on_connection_activated(*, tenant_id: int) -> None:
    return None
