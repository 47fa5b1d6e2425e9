"""Turning stored objects into API JSON: ``fields`` selection, references, sorting, paging.

``fields`` is parsed into a tree: ``None`` means "all direct fields" (Tripletex's
default and ``*``); a dict maps each requested field to its own sub-tree or to
``False`` when the field was named without parentheses. References that are not
expanded come back as ``{"id", "url"}``; fields an object does not have are left
out (the spec allows no ``null``).
"""
from __future__ import annotations

import hashlib

from . import errors
from .kinds import BY_SCHEMA, KINDS
from .spec import REF, REFLIST, Spec
from .store import Company

ALL = "*"


def parse_fields(text: str | None):
    if not text or not text.strip():
        return None
    pos = 0

    def parse_level() -> dict:
        nonlocal pos
        out: dict = {}
        name = ""
        while pos < len(text):
            ch = text[pos]
            pos += 1
            if ch == ",":
                if name.strip():
                    out.setdefault(name.strip(), False)
                name = ""
            elif ch == "(":
                out[name.strip()] = parse_level()
                name = ""
            elif ch == ")":
                break
            else:
                name += ch
        if name.strip():
            out.setdefault(name.strip(), False)
        return out

    tree = parse_level()
    return tree


class Renderer:
    def __init__(self, spec: Spec, company: Company, base_url: str):
        self.spec = spec
        self.company = company
        self.base_url = base_url
        self.urls = spec.schema_urls

    def url(self, schema: str, obj_id) -> str:
        return f"{self.base_url}{self.urls.get(schema, '/' + schema.lower())}/{obj_id}"

    def render(self, obj: dict, schema: str, tree=None, write_only: tuple = ()) -> dict:
        props = self.spec.props(schema)
        if tree is None or tree is False:
            names = [n for n in props if n in obj] + ["url"]
            sub = {}
        else:
            sub = tree
            names = []
            if ALL in tree:
                names = [n for n in props if n in obj] + ["url"]
            for n in tree:
                if n == ALL:
                    continue
                if n not in props:
                    raise errors.bad_request(f"Illegal field in fields filter: {n}. {n} does not match a field in the model: {schema}")
                if n not in names:
                    names.append(n)
        out: dict = {}
        for name in names:
            if name in write_only:
                continue
            if name == "url":
                if "id" in obj and "url" in props:
                    out["url"] = self.url(schema, obj["id"])
                continue
            if name not in obj:
                continue
            value = obj[name]
            typ, target, _ = props[name]
            if typ == REF and isinstance(value, dict):
                out[name] = self._ref(value, target, sub.get(name, False))
            elif typ == REFLIST and isinstance(value, list):
                t = sub.get(name, False)
                out[name] = [self._ref(v, target, t) for v in value if isinstance(v, dict)]
            else:
                out[name] = value
        return out

    def _ref(self, value: dict, target: str, tree) -> dict:
        ref_id = value.get("id")
        if tree is False:
            if ref_id is None:
                return self.render(value, target, None)
            return {"id": ref_id, "url": self.url(target, ref_id)}
        kind = BY_SCHEMA.get(target)
        full = self.company.get(kind.name, ref_id) if kind is not None and ref_id is not None else None
        if full is None:
            full = value if len(value) > 1 else {"id": ref_id, "version": 0} if ref_id is not None else value
        return self.render(full, target, tree, KINDS[kind.name].write_only if kind else ())


def sort_key_fn(sorting: str | None, company: Company):
    if not sorting:
        return None
    keys = []
    for part in sorting.split(","):
        part = part.strip()
        if not part:
            continue
        desc = part.startswith("-")
        keys.append((part.lstrip("-+").split("."), desc))

    def value(obj, path):
        cur = obj
        for i, step in enumerate(path):
            if not isinstance(cur, dict):
                return None
            cur = cur.get(step)
            if isinstance(cur, dict) and i < len(path) - 1 and len(cur) == 1 and "id" in cur:
                for objects in company.objects.values():
                    if cur["id"] in objects:
                        cur = objects[cur["id"]]
                        break
        return cur

    return keys, value


def sort_objects(objs: list[dict], sorting: str | None, company: Company) -> list[dict]:
    spec = sort_key_fn(sorting, company)
    if not spec:
        return objs
    keys, value = spec
    # Stable sorts applied from the last key to the first give a multi-key sort with mixed directions.
    for path, desc in reversed(keys):
        objs = sorted(objs, key=lambda o: _orderable(value(o, path)), reverse=desc)
    return objs


def _orderable(v):
    if v is None:
        return (0, 0, "")
    if isinstance(v, bool):
        return (1, int(v), "")
    if isinstance(v, (int, float)):
        return (1, v, "")
    return (2, 0, str(v))


def digest(objs: list[dict], extra: str) -> str:
    h = hashlib.sha1(extra.encode())
    h.update(repr([(o["id"], o.get("version", 0)) for o in objs]).encode())
    return h.hexdigest()


def page(objs: list[dict], params: dict) -> tuple[int, int, list[dict]]:
    try:
        start = int(params.get("from") or 0)
        count = int(params.get("count") or 1000)
    except ValueError:
        raise errors.bad_request("from and count must be integers")
    if start < 0 or count < 0:
        raise errors.bad_request("from and count must not be negative")
    return start, count, objs[start:start + count]
