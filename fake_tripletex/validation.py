"""Validation mode: check every request and response body against the spec's schemas.

Validators are compiled lazily per operation and cached, so the cost is paid once.
Violations are recorded (not raised): the fake still answers, and the test suite
fails on any recorded violation through ``GET /_fake/violations``.
"""
from __future__ import annotations

import threading

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

BASE = "urn:tripletex-openapi"


def _absolute(node):
    # Inline operation schemas use document-local refs; point them at the registered spec.
    if isinstance(node, dict):
        return {k: (BASE + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else _absolute(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_absolute(v) for v in node]
    return node


class SchemaValidator:
    def __init__(self, spec):
        self.spec = spec
        self.registry = Registry().with_resource(BASE, Resource.from_contents(spec.doc, default_specification=DRAFT4))
        self._cache: dict = {}
        self._lock = threading.Lock()
        self.violations: list[dict] = []

    def _validator(self, key, schema):
        got = self._cache.get(key)
        if got is None and schema is not None:
            got = Draft4Validator(_absolute(schema), registry=self.registry)
            with self._lock:
                self._cache[key] = got
        return got

    def _content_schema(self, node: dict | None):
        for ctype, content in (node or {}).get("content", {}).items():
            if "json" in ctype and "schema" in content:
                return content["schema"]
        return None

    def check_request(self, method: str, template: str, path: str, body) -> None:
        op = self.spec.operation(template, method)
        if op is None or body is None:
            return
        schema = self._content_schema(op.get("requestBody"))
        v = self._validator((template, method, "request"), schema)
        if v is not None:
            self._record(v, body, "request", method, path, template, None)

    def check_response(self, method: str, template: str, path: str, status: int, body) -> None:
        if body is None:
            return
        if status >= 400:
            v = self._validator(("ApiError",), {"$ref": "#/components/schemas/ApiError"})
        else:
            op = self.spec.operation(template, method)
            if op is None:
                return
            responses = op.get("responses", {})
            schema = self._content_schema(responses.get(str(status)) or responses.get("default"))
            v = self._validator((template, method, "response", status), schema)
        if v is not None:
            self._record(v, body, "response", method, path, template, status)

    def _record(self, validator, body, direction, method, path, template, status) -> None:
        for err in validator.iter_errors(body):
            with self._lock:
                if len(self.violations) < 1000:
                    self.violations.append({
                        "direction": direction, "method": method, "path": path, "template": template,
                        "status": status, "message": err.message[:500],
                        "where": "/".join(str(p) for p in err.absolute_path),
                    })

    def clear(self) -> None:
        with self._lock:
            self.violations.clear()
