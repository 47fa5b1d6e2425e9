"""Hooks the approve service calls, in its transaction, so approved hours reach Tripletex.

The hours push fills these in: an outbox row per entry, a task enqueued on commit.
"""


def on_entries_approved(*, tenant, entry_ids: list[int]) -> None:
    return None


def on_entries_unapproved(*, tenant, entry_ids: list[int]) -> None:
    return None
