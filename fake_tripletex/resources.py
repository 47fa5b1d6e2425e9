"""Generic list/get/create/update/delete behaviour shared by all object endpoints.

Filters come from the spec: each query parameter's description says how it
matches ("List of IDs", "Equals", "Containing", "From and including", "To and
excluding"), so the fake applies them without per-endpoint code; endpoints only
add overrides where a parameter name does not match a field.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from . import errors
from .kinds import KINDS
from .render import digest, page, parse_fields, sort_objects
from .routing import Request, Response
from .spec import REF

PAGING = {"from", "count", "sorting", "fields"}


@dataclass
class Behaviour:
    """Per-kind rules: required fields on create, defaults, extra checks, filter overrides."""
    required: tuple[str, ...] = ()
    defaults: Callable | None = None          # (req, obj) -> None, fills what Tripletex always sets
    check: Callable | None = None             # (req, obj, old) -> None, raises ApiError
    filters: dict[str, Callable] = field(default_factory=dict)  # param -> (obj, value, req) -> bool
    ignore_params: tuple[str, ...] = ()


BEHAVIOURS: dict[str, Behaviour] = {}


def behaviour(kind: str) -> Behaviour:
    return BEHAVIOURS.setdefault(kind, Behaviour())


def _ids(value: str) -> set[int]:
    out = set()
    for part in str(value).split(","):
        part = part.strip()
        if part:
            try:
                out.add(int(part))
            except ValueError:
                raise errors.bad_request(f"Invalid id list: {value}")
    return out


def _bool(value: str) -> bool:
    return str(value).lower() in ("true", "1", "yes")


def parse_timestamp(value: str) -> datetime:
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise errors.bad_request(f"Invalid date/time: {value}")
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)


def build_filters(req: Request, kind: str) -> list[Callable[[dict], bool]]:
    spec_params = req.app.spec.params(req.template, req.method)
    props = req.app.spec.props(KINDS[kind].schema)
    beh = behaviour(kind)
    missing = [n for n, p in spec_params.items() if p.get("required") and not req.params.get(n)]
    if missing:
        raise errors.required(*missing)
    tests: list[Callable[[dict], bool]] = []
    for name, value in req.params.items():
        if name in PAGING or value in (None, "") or name in beh.ignore_params:
            continue
        if name in beh.filters:
            fn = beh.filters[name]
            tests.append(lambda o, fn=fn, v=value: fn(o, v, req))
            continue
        p = spec_params.get(name)
        if p is None:
            continue
        desc = (p.get("description") or "").lower()
        ptype = p.get("schema", {}).get("type")
        if name == "changedSince":
            if req.app.settings.get("ignore_changed_since"):
                continue  # as Tripletex has been seen to do on some endpoints
            since = parse_timestamp(value)
            tests.append(lambda o, s=since: o["_changed"] >= s)
        elif name in ("id", "ids"):
            ids = _ids(value)
            tests.append(lambda o, ids=ids: o["id"] in ids)
        elif name.endswith("Id") and props.get(name[:-2], (None,))[0] == REF:
            ids = _ids(value)
            f = name[:-2]
            tests.append(lambda o, f=f, ids=ids: (o.get(f) or {}).get("id") in ids)
        elif name.endswith("From") and ("from and incl" in desc) and name[:-4] in props:
            f = name[:-4]
            tests.append(lambda o, f=f, v=value: o.get(f) is not None and _cmp(o[f], v) >= 0)
        elif name.endswith("To") and "to and excl" in desc and name[:-2] in props:
            f = name[:-2]
            tests.append(lambda o, f=f, v=value: o.get(f) is not None and _cmp(o[f], v) < 0)
        elif name.endswith("To") and "to and incl" in desc and name[:-2] in props:
            f = name[:-2]
            tests.append(lambda o, f=f, v=value: o.get(f) is not None and _cmp(o[f], v) <= 0)
        elif name in props or name in beh.filters:
            if ptype == "boolean":
                b = _bool(value)
                tests.append(lambda o, n=name, b=b: bool(o.get(n, False)) == b)
            elif "list of" in desc:
                wanted = {s.strip() for s in value.split(",")}
                tests.append(lambda o, n=name, w=wanted: str(o.get(n)) in w)
            elif "containing" in desc:
                low = value.lower()
                tests.append(lambda o, n=name, v=low: v in str(o.get(n, "")).lower())
            else:
                tests.append(lambda o, n=name, v=value: str(o.get(n)) == v)
    return tests


def _cmp(a, b) -> int:
    if isinstance(a, (int, float)):
        try:
            b = float(b)
        except ValueError:
            return 0
    a, b = (a, b) if isinstance(a, (int, float)) else (str(a), str(b))
    return (a > b) - (a < b)


def list_response(req: Request, kind: str, objs=None, *, extra: dict | None = None) -> Response:
    """Filter, sort, page and render a list the way Tripletex's ListResponse does."""
    company = req.company
    if objs is None:
        tests = build_filters(req, kind)
        objs = [o for o in company.objects[kind].values() if all(t(o) for t in tests)]
    objs = sort_objects(objs, req.params.get("sorting"), company)
    vd = digest(objs, req.path + "?" + "&".join(f"{k}={v}" for k, v in sorted(req.params.items())))
    if req.headers.get("If-None-Match", "").strip('"') == vd:
        return Response(304, None, {"ETag": f'"{vd}"'})
    start, _, chunk = page(objs, req.params)
    tree = parse_fields(req.params.get("fields"))
    r = req.renderer()
    k = KINDS[kind]
    values = [r.render(o, k.schema, tree, k.write_only) for o in chunk]
    body = {"fullResultSize": len(objs), "from": start, "count": len(values), "versionDigest": vd,
            "values": values}
    if extra:
        body.update(extra)
    return Response(200, body, {"ETag": f'"{vd}"'})


def value_response(req: Request, kind: str, obj: dict, status: int = 200) -> Response:
    tree = parse_fields(req.params.get("fields"))
    k = KINDS[kind]
    return Response(status, {"value": req.renderer().render(obj, k.schema, tree, k.write_only)})


def values_response(req: Request, kind: str, objs: list[dict], status: int = 200) -> Response:
    tree = parse_fields(req.params.get("fields"))
    k = KINDS[kind]
    r = req.renderer()
    values = [r.render(o, k.schema, tree, k.write_only) for o in objs]
    return Response(status, {"fullResultSize": len(values), "from": 0, "count": len(values),
                             "versionDigest": digest(objs, req.path), "values": values})


def get_obj(req: Request, kind: str, obj_id: int | None = None) -> dict:
    obj = req.company.get(kind, obj_id if obj_id is not None else req.path_id())
    if obj is None:
        raise errors.not_found(KINDS[kind].schema)
    return obj


def prepare_create(req: Request, kind: str, body) -> dict:
    if not isinstance(body, dict):
        raise errors.bad_request("Request body must be a JSON object")
    obj = req.app.store.normalize(req.company, KINDS[kind].schema, body)
    for k in KINDS[kind].write_only:
        if k in body:
            obj[k] = body[k]
    beh = behaviour(kind)
    if beh.defaults:
        beh.defaults(req, obj)
    missing = [f for f in beh.required if obj.get(f) in (None, "", {})]
    if missing:
        raise errors.required(*missing)
    check_refs(req, kind, obj)
    if beh.check:
        beh.check(req, obj, None)
    return obj


def check_refs(req: Request, kind: str, obj: dict) -> None:
    """A reference to an object the company does not have is a 422, as in Tripletex."""
    props = req.app.spec.props(KINDS[kind].schema)
    from .kinds import BY_SCHEMA
    for name, value in obj.items():
        info = props.get(name)
        if not info or info[0] != REF or not isinstance(value, dict) or len(value) != 1:
            continue
        target = BY_SCHEMA.get(info[1])
        if target and target.name in req.company.objects and target.name != "company" \
                and value["id"] not in req.company.objects[target.name]:
            raise errors.validation(f"{name}.id", f"Objektet med id {value['id']} finnes ikke.")


def prepare_update(req: Request, kind: str, obj: dict, body) -> dict:
    if not isinstance(body, dict):
        raise errors.bad_request("Request body must be a JSON object")
    req.app.store.check_version(kind, obj, body.get("version"))
    changes = req.app.store.normalize(req.company, KINDS[kind].schema, body)
    for k in KINDS[kind].write_only:
        if k in body:
            changes[k] = body[k]
    merged = {**obj, **changes}
    beh = behaviour(kind)
    missing = [f for f in beh.required if merged.get(f) in (None, "", {})]
    if missing:
        raise errors.required(*missing)
    check_refs(req, kind, changes)
    if beh.check:
        beh.check(req, merged, obj)
        # Keep what the check derived (display names, rates, flags) along with the client's changes.
        for k, v in merged.items():
            if k not in obj or obj[k] != v:
                changes[k] = v
    return changes


# --- ready-made handlers --------------------------------------------------------------------
def h_list(kind: str):
    return lambda req: list_response(req, kind)


def h_get(kind: str):
    return lambda req: value_response(req, kind, get_obj(req, kind))


def h_post(kind: str):
    def handler(req: Request) -> Response:
        obj = prepare_create(req, kind, req.body)
        req.app.store.insert(req.company, kind, obj)
        return value_response(req, kind, obj, 201)
    return handler


def h_put(kind: str):
    def handler(req: Request) -> Response:
        obj = get_obj(req, kind)
        changes = prepare_update(req, kind, obj, req.body)
        req.app.store.update(req.company, kind, obj, changes)
        return value_response(req, kind, obj)
    return handler


def h_delete(kind: str):
    def handler(req: Request) -> Response:
        obj = get_obj(req, kind)
        req.app.store.check_version(kind, obj, req.params.get("version") or None)
        req.app.store.delete(req.company, kind, obj)
        return Response(204, None)
    return handler


def h_post_list(kind: str):
    def handler(req: Request) -> Response:
        if not isinstance(req.body, list):
            raise errors.bad_request("Request body must be a JSON array")
        # All or nothing, like Tripletex: validate every element before storing any.
        objs = [prepare_create(req, kind, b) for b in req.body]
        for o in objs:
            req.app.store.insert(req.company, kind, o)
        return values_response(req, kind, objs, 201)
    return handler


def h_put_list(kind: str):
    def handler(req: Request) -> Response:
        if not isinstance(req.body, list):
            raise errors.bad_request("Request body must be a JSON array")
        pairs = []
        for b in req.body:
            if not isinstance(b, dict) or "id" not in b:
                raise errors.required("id")
            obj = get_obj(req, kind, int(b["id"]))
            pairs.append((obj, prepare_update(req, kind, obj, b)))
        for obj, changes in pairs:
            req.app.store.update(req.company, kind, obj, changes)
        return values_response(req, kind, [o for o, _ in pairs])
    return handler


def crud(router, kind: str, *, get=True, post=True, put=True, delete=False, lists=False, path=None) -> None:
    path = path or KINDS[kind].path
    if get:
        router.add("GET", path, h_list(kind))
        router.add("GET", path + "/{id}", h_get(kind))
    if post:
        router.add("POST", path, h_post(kind))
    if put:
        router.add("PUT", path + "/{id}", h_put(kind))
    if delete:
        router.add("DELETE", path + "/{id}", h_delete(kind))
    if lists:
        router.add("POST", path + "/list", h_post_list(kind))
        router.add("PUT", path + "/list", h_put_list(kind))
