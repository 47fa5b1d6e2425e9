"""Request/response value types and a small router keyed by the spec's path templates.

Handlers are registered under the exact template the spec uses (``/timesheet/entry/{id}``,
``/token/session/>whoAmI``), so call counts and validation can be looked up by it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from . import errors


@dataclass
class Request:
    method: str
    path: str                     # decoded, without the /v2 prefix
    template: str
    path_params: dict[str, str]
    params: dict[str, str]
    headers: Any
    body: Any = None
    raw_body: bytes = b""
    company: Any = None
    session: Any = None
    app: Any = None               # the FakeTripletex application (store, renderer factory, settings)

    def renderer(self):
        return self.app.renderer(self.company)

    def int_param(self, name: str, *, required: bool = False) -> int | None:
        raw = self.params.get(name)
        if raw in (None, ""):
            if required:
                raise errors.required(name)
            return None
        try:
            return int(raw)
        except ValueError:
            raise errors.bad_request(f"{name} must be an integer")

    def path_id(self, name: str = "id") -> int:
        try:
            return int(self.path_params[name])
        except (KeyError, ValueError):
            raise errors.not_found()


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict = field(default_factory=dict)


@dataclass
class Route:
    method: str
    template: str
    segments: tuple[str, ...]
    handler: Callable[[Request], Response]
    auth: bool = True


class Router:
    def __init__(self):
        self._by_len: dict[tuple[str, int], list[Route]] = {}
        self.templates: set[str] = set()

    def add(self, method: str, template: str, handler, *, auth: bool = True) -> None:
        segs = tuple(template.strip("/").split("/"))
        route = Route(method, template, segs, handler, auth)
        self._by_len.setdefault((method, len(segs)), []).append(route)
        self.templates.add(template)
        # Literal routes win over parameterised ones (/timesheet/entry/list vs /timesheet/entry/{id}).
        self._by_len[(method, len(segs))].sort(key=lambda r: sum(s.startswith("{") for s in r.segments))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        segs = path.strip("/").split("/")
        for route in self._by_len.get((method, len(segs)), ()):
            params = {}
            for pat, seg in zip(route.segments, segs):
                if pat.startswith("{"):
                    params[pat[1:-1]] = seg
                elif pat != seg:
                    break
            else:
                return route, params
        return None

    def allowed(self, path: str) -> bool:
        return any(self.match(m, path) for m in ("GET", "POST", "PUT", "DELETE"))
