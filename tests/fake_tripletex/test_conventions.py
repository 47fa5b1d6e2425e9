"""Envelopes, paging, fields, sorting, versions, 304, changedSince, errors and headers."""
import time
from datetime import datetime, timezone

import requests

from .conftest import ids


def test_list_envelope_count_is_returned_values_and_full_result_size_exact(api):
    body = api.get(api.base + "/employee", params={"from": 40, "count": 5}).json()
    assert body["fullResultSize"] == 42 and body["from"] == 40
    assert body["count"] == len(body["values"]) == 2
    assert body["versionDigest"]


def test_paging_walks_every_object_once(api):
    seen, start = [], 0
    while True:
        body = api.get(api.base + "/employee", params={"from": start, "count": 10, "fields": "id"}).json()
        seen += [v["id"] for v in body["values"]]
        start += body["count"]
        if start >= body["fullResultSize"] or body["count"] < 10:
            break
    assert len(seen) == len(set(seen)) == 42


def test_fields_returns_only_what_was_asked_including_nested(api):
    body = api.get(api.base + "/project", params={"fields": "id,number,projectManager(id,firstName)", "count": 1}).json()
    value = body["values"][0]
    assert set(value) == {"id", "number", "projectManager"}
    assert set(value["projectManager"]) == {"id", "firstName"}


def test_unexpanded_references_are_id_and_url(api):
    value = api.get(api.base + "/project", params={"count": 1}).json()["values"][0]
    assert set(value["projectManager"]) == {"id", "url"}
    assert value["projectManager"]["url"].endswith(f"/employee/{value['projectManager']['id']}")
    assert "department" in value


def test_star_with_nested_star_expands_reference(api):
    value = api.get(api.base + "/project", params={"fields": "*,department(*)", "count": 1}).json()["values"][0]
    assert "name" in value["department"] and "startDate" in value


def test_unknown_field_is_400(api):
    r = api.get(api.base + "/employee", params={"fields": "id,noSuchField"})
    assert r.status_code == 400 and r.json()["code"] == 4000


def test_no_nulls_in_responses(api):
    body = api.get(api.base + "/employee").json()
    assert "null" not in str(requests.models.complexjson.dumps(body))
    assert any("lastName" not in v for v in body["values"])


def test_sorting_ascending_and_descending_with_several_keys(api):
    values = api.get(api.base + "/project", params={"sorting": "-number", "fields": "number"}).json()["values"]
    numbers = [v["number"] for v in values]
    assert numbers == sorted(numbers, reverse=True)
    values = api.get(api.base + "/employee", params={"sorting": "firstName,-id", "fields": "id,firstName"}).json()["values"]
    assert values == sorted(values, key=lambda v: (v["firstName"], -v["id"]))


def test_version_increments_on_write_and_stale_version_is_409_code_8000(api):
    pid = ids(api, "/project", number="1002")[0]
    p = api.get(f"{api.base}/project/{pid}").json()["value"]
    r = api.put(f"{api.base}/project/{pid}", json={"id": pid, "version": p["version"], "description": "Endret"})
    assert r.status_code == 200 and r.json()["value"]["version"] == p["version"] + 1
    r = api.put(f"{api.base}/project/{pid}", json={"id": pid, "version": p["version"], "description": "Igjen"})
    assert r.status_code == 409 and r.json()["code"] == 8000


def test_put_changes_only_fields_in_body(api):
    pid = ids(api, "/project", number="1003")[0]
    before = api.get(f"{api.base}/project/{pid}").json()["value"]
    after = api.put(f"{api.base}/project/{pid}", json={"description": "Bare denne"}).json()["value"]
    assert after["name"] == before["name"] and after["description"] == "Bare denne"


def test_version_digest_with_if_none_match_gives_304_until_something_changes(api, fake_tripletex):
    params = {"fields": "id,name", "count": 1000}
    first = api.get(api.base + "/customer", params=params)
    digest = first.json()["versionDigest"]
    r = api.get(api.base + "/customer", params=params, headers={"If-None-Match": digest})
    assert r.status_code == 304 and r.content == b""
    cid = first.json()["values"][0]["id"]
    fake_tripletex.change(fake_tripletex.demo["id"], "customer", cid, phoneNumber="99887766")
    r = api.get(api.base + "/customer", params=params, headers={"If-None-Match": digest})
    assert r.status_code == 200


def test_changed_since_returns_only_changed_customers(api, fake_tripletex):
    time.sleep(0.01)
    since = datetime.now(timezone.utc).isoformat()
    cid = ids(api, "/customer")[1]
    fake_tripletex.change(fake_tripletex.demo["id"], "customer", cid, email="ny@example.no")
    got = ids(api, "/customer", changedSince=since)
    assert got == [cid]


def test_customer_account_number_and_is_inactive_filters(api):
    body = api.get(api.base + "/customer", params={"customerAccountNumber": "10001,10003", "fields": "customerNumber"})
    assert sorted(v["customerNumber"] for v in body.json()["values"]) == [10001, 10003]
    inactive = api.get(api.base + "/customer", params={"isInactive": "true", "fields": "isInactive"}).json()
    assert inactive["fullResultSize"] > 0 and all(v["isInactive"] for v in inactive["values"])


def test_missing_required_field_is_422_with_field_message(api):
    r = api.post(api.base + "/employee", json={"firstName": "Uten"})
    assert r.status_code == 422
    assert [m["field"] for m in r.json()["validationMessages"]] == ["lastName"]
    r = api.post(api.base + "/project", json={"name": "Uten start"})
    fields = {m["field"] for m in r.json()["validationMessages"]}
    assert r.status_code == 422 and fields == {"projectManager", "startDate"}


def test_created_objects_get_references_tripletex_always_sets(api):
    r = api.post(api.base + "/employee", json={"firstName": "Ny", "lastName": "Ansatt"})
    assert r.status_code == 201
    assert "department" in r.json()["value"]


def test_every_response_has_request_id_and_rate_limit_headers(api, fake_tripletex):
    a = api.get(api.base + "/employee", params={"count": 1})
    b = requests.get(fake_tripletex.base_url + "/employee", timeout=10)
    for r in (a, b):
        assert r.headers["x-tlx-request-id"]
        for h in ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"):
            assert h in r.headers
    assert a.headers["x-tlx-request-id"] != b.headers["x-tlx-request-id"]
    assert b.json()["requestId"] == b.headers["x-tlx-request-id"]


def test_rate_limit_429_past_quota_per_token_pair(api, fake_tripletex):
    fake_tripletex.set_rate_limit(5, window=30)
    statuses = [api.get(api.base + "/employee", params={"count": 1}).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    other = fake_tripletex.session(employee_token=fake_tripletex.make_token(fake_tripletex.demo["id"], "GrønnJobb"))
    r = other.get(api.base + "/employee", params={"count": 1})
    assert r.status_code == 200


def test_unknown_path_is_404_envelope(api):
    r = api.get(api.base + "/no/such/thing")
    assert r.status_code == 404 and r.json()["code"] == 6000


def test_call_counts_by_method_and_path_template(api, fake_tripletex):
    before = fake_tripletex.calls(fake_tripletex.demo["id"]).get("GET /employee/{id}", 0)
    eid = ids(api, "/employee")[0]
    api.get(f"{api.base}/employee/{eid}")
    api.get(f"{api.base}/employee/{eid}")
    assert fake_tripletex.calls(fake_tripletex.demo["id"])["GET /employee/{id}"] == before + 2


def _fresh_company(fake_tripletex):
    info = fake_tripletex.create_company("Unikt nummer AS", applications=["GrønnJobb"], employees=1, projects=1,
                                         customers=1)
    s = fake_tripletex.session(employee_token=info["employee_tokens"]["GrønnJobb"])
    s.base = fake_tripletex.base_url
    return s


def test_project_number_is_unique_as_in_tripletex(fake_tripletex):
    s = _fresh_company(fake_tripletex)
    manager = ids(s, "/employee")[0]
    body = {"name": "Nytt", "number": "5001", "startDate": "2026-01-01", "projectManager": {"id": manager}}
    assert s.post(s.base + "/project", json=body).status_code == 201
    again = s.post(s.base + "/project", json={**body, "name": "Annet"})
    assert again.status_code == 422 and again.json()["validationMessages"][0]["field"] == "number"
    # A number Tripletex picks itself never lands on one a client chose.
    numbers = [s.post(s.base + "/project", json={k: v for k, v in body.items() if k != "number"}).json()["value"]
               ["number"] for _ in range(2)]
    assert "5001" not in numbers and len(set(numbers)) == 2


def test_customer_number_is_unique_as_in_tripletex(fake_tripletex):
    s = _fresh_company(fake_tripletex)
    taken = s.get(s.base + "/customer", params={"fields": "customerNumber"}).json()["values"][0]["customerNumber"]
    refused = s.post(s.base + "/customer", json={"name": "Kopi AS", "customerNumber": taken})
    assert refused.status_code == 422 and refused.json()["validationMessages"][0]["field"] == "customerNumber"
    made = s.post(s.base + "/customer", json={"name": "Ny AS", "customerNumber": taken + 1000}).json()["value"]
    renamed = s.put(s.base + f"/customer/{made['id']}", json={"id": made["id"], "version": made["version"],
                                                              "name": "Ny AS avd. 2"})
    assert renamed.status_code == 200  # its own number is no clash
