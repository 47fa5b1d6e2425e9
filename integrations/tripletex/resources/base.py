"""The handful of call shapes every Tripletex entity uses; the entity mixins are written on top of these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..retry import body_has_versions

Fields = str | Iterable[str] | None


def fields_param(fields: Fields) -> str | None:
    """`fields` as Tripletex wants it; accepts "id,name" or ["id", "name", "project(id,number)"]."""
    if fields is None:
        return None
    if isinstance(fields, str):
        return fields
    return ",".join(fields)


def with_version(changes: Mapping[str, Any], *, id: int, version: int) -> dict[str, Any]:
    if version is None:
        raise ValueError("an update must carry the version that was read")
    return {**changes, "id": id, "version": version}


def require_versions(objects: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if not body_has_versions(objects):
        raise ValueError("every object in a list update must carry its id and the version that was read")
    return objects


class ResourceBase:
    """The write shapes every entity shares, so the retry rule for each lives in one place.

    `read`, `write`, `delete`, `paginate` and `upload` come from `TripletexClient`.
    """

    def _create(self, path: str, body: Any) -> Any:
        # Tripletex has no idempotency keys: a create is never resent; a lost answer raises InDoubt.
        return self.write("POST", path, body, retry_safe=False)

    def _update(self, path: str, changes: Mapping[str, Any], *, id: int, version: int) -> dict:
        # Carrying the version read makes a resend harmless (a stale one is refused), so it may be retried.
        return self.write("PUT", path, with_version(changes, id=id, version=version), retry_safe=True)

    def _update_many(self, path: str, objects: Iterable[Mapping[str, Any]]) -> list[dict]:
        return self.write("PUT", path, require_versions(list(objects)), retry_safe=True)

    def list_all(self, path: str, **kwargs: Any) -> list[dict]:
        """Every value of a list endpoint, all pages; takes the same arguments as `paginate`."""
        return [*self.paginate(path, **kwargs)]
