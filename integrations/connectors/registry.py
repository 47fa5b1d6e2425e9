"""Every connector the product has, by name. A connector module registers itself when imported."""
from __future__ import annotations

from .base import Connector

_CONNECTORS: dict[str, Connector] = {}


def register(connector: Connector) -> Connector:
    if connector.name in _CONNECTORS and _CONNECTORS[connector.name] is not connector:
        raise ValueError(f"two connectors are named {connector.name!r}")
    _CONNECTORS[connector.name] = connector
    return connector


def _load() -> None:
    # Imported here, not at module level, so a connector may import the platform's services freely.
    from . import customer_import, inventory, invoices, master_data  # noqa: F401


def all_connectors() -> list[Connector]:
    _load()
    return list(_CONNECTORS.values())


def get(name: str) -> Connector | None:
    _load()
    return _CONNECTORS.get(name)


def owners_of(kind: str) -> list[Connector]:
    """Connectors that send local changes of `kind` to Tripletex."""
    return [c for c in all_connectors() if kind in c.kinds]


def senders_of(kind: str, *, enabled: set[str]) -> list[Connector]:
    """The switched-on connectors (named in `enabled`) that send local changes of `kind`: its owners, or, only
    while none of them is on, the connectors that stand in for them (`kinds_if_unowned`)."""
    owners = [c for c in owners_of(kind) if c.name in enabled]
    return owners or [c for c in all_connectors() if c.name in enabled and kind in c.kinds_if_unowned]


def conflicts_of(name: str) -> list[Connector]:
    """Connectors that may not be on together with `name`, whichever of the two declares it."""
    me = get(name)
    return [c for c in all_connectors() if c.name != name and (c.name in me.excludes or name in c.excludes)]
