"""Access to Tripletex's OpenAPI document, read at runtime (never copied into the repo).

The fake derives shapes from the spec instead of hand-written field lists: which
properties a schema has, which of them are references to other objects, which
query parameters an operation takes (and whether they are required), and the
request/response schemas used in validation mode.
"""
from __future__ import annotations

import json
import os
import threading
from functools import lru_cache
from pathlib import Path

SCALAR, REF, REFLIST, OTHER = "scalar", "ref", "reflist", "other"


def spec_path() -> Path:
    env = os.environ.get("TRIPLETEX_OPENAPI")
    if env:
        return Path(env)
    # <project root>/../shared/tripletex/openapi.json; the project root is this package's parent.
    return Path(__file__).resolve().parent.parent.parent / "shared" / "tripletex" / "openapi.json"


def _ref_name(node: dict) -> str | None:
    ref = node.get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


class Spec:
    def __init__(self, doc: dict):
        self.doc = doc
        self.schemas: dict = doc["components"]["schemas"]
        self.paths: dict = doc["paths"]
        self._props: dict[str, dict] = {}
        self._lock = threading.Lock()

    def props(self, schema: str) -> dict[str, tuple[str, str | None, bool]]:
        """Property name -> (SCALAR|REF|REFLIST|OTHER, referenced schema name, readOnly)."""
        got = self._props.get(schema)
        if got is not None:
            return got
        out: dict[str, tuple[str, str | None, bool]] = {}
        for name, node in self.schemas[schema].get("properties", {}).items():
            target = _ref_name(node)
            ro = bool(node.get("readOnly"))
            if target and "properties" in self.schemas.get(target, {}):
                out[name] = (REF, target, ro)
            elif node.get("type") == "array" and _ref_name(node.get("items", {})):
                out[name] = (REFLIST, _ref_name(node["items"]), ro)
            elif node.get("type") == "object" or target:
                out[name] = (OTHER, target, ro)
            else:
                out[name] = (SCALAR, None, ro)
        with self._lock:
            self._props[schema] = out
        return out

    def operation(self, template: str, method: str) -> dict | None:
        return self.paths.get(template, {}).get(method.lower())

    def params(self, template: str, method: str) -> dict[str, dict]:
        return _params(self, template, method)

    @property
    def schema_urls(self) -> dict[str, str]:
        """Schema name -> API path of its GET /{id}, used to build reference URLs."""
        return _schema_urls(self)


@lru_cache(maxsize=None)
def _schema_urls_cached(spec_id: int, spec: Spec) -> dict[str, str]:
    out: dict[str, str] = {}
    for path, ops in spec.paths.items():
        if not path.endswith("/{id}") or "get" not in ops:
            continue
        schema = ops["get"].get("responses", {}).get("default", {}).get("content", {})
        for content in schema.values():
            name = _ref_name(content.get("schema", {}))
            if name and name.startswith("ResponseWrapper"):
                out.setdefault(name[len("ResponseWrapper"):], path[: -len("/{id}")])
    return out


def _schema_urls(spec: Spec) -> dict[str, str]:
    return _schema_urls_cached(id(spec), spec)


_param_cache: dict = {}


def _params(spec: Spec, template: str, method: str) -> dict[str, dict]:
    key = (template, method)
    got = _param_cache.get(key)
    if got is None:
        op = spec.operation(template, method) or {}
        got = {p["name"]: p for p in op.get("parameters", []) if p.get("in") == "query"}
        _param_cache[key] = got
    return got


_loaded: Spec | None = None
_load_lock = threading.Lock()


def load() -> Spec:
    global _loaded
    with _load_lock:
        if _loaded is None:
            with open(spec_path(), encoding="utf-8") as fh:
                _loaded = Spec(json.load(fh))
        return _loaded
