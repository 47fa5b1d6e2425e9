"""The handful of call shapes every Tripletex entity uses; the entity mixins are written on top of these."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..paging import Progress
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
    """Implemented by `TripletexClient`; listed here so the mixins read on their own."""

    def read(self, path: str, *, fields: Fields = None, params: Mapping[str, Any] | None = None) -> dict:
        raise NotImplementedError

    def paginate(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        fields: Fields = None,
        sorting: str | None = None,
        progress: Progress | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Iterator[dict]:
        raise NotImplementedError

    def write(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: Mapping[str, Any] | None = None,
        retry_safe: bool,
    ) -> Any:
        raise NotImplementedError

    def delete(self, path: str, *, params: Mapping[str, Any] | None = None, retry_safe: bool) -> None:
        raise NotImplementedError

    def upload(self, path: str, *, files: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def list_all(self, path: str, **kwargs: Any) -> list[dict]:
        """Every value of a list endpoint, all pages; takes the same arguments as `paginate`."""
        return [*self.paginate(path, **kwargs)]
