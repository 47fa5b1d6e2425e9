"""Each fault knob of the control API."""
import time

import pytest
import requests



def test_latency_fault_adds_delay(api, fake_tripletex):
    fake_tripletex.set_faults(latency_ms=300, path_prefix="/employee")
    t = time.perf_counter()
    assert api.get(api.base + "/employee", params={"count": 1}).status_code == 200
    assert time.perf_counter() - t >= 0.3
    t = time.perf_counter()
    api.get(api.base + "/customer", params={"count": 1})
    assert time.perf_counter() - t < 0.3


def test_error_rate_fault_gives_that_share_of_5xx(api, fake_tripletex):
    fake_tripletex.set_faults(error_rate=0.5, error_status=503)
    statuses = [api.get(api.base + "/employee", params={"count": 1}).status_code for _ in range(10)]
    assert statuses.count(503) == 5 and statuses.count(200) == 5


def test_burst_429_fault_for_n_requests_with_reset(api, fake_tripletex):
    fake_tripletex.set_faults(burst_429=2, reset_seconds=7)
    rs = [api.get(api.base + "/employee", params={"count": 1}) for _ in range(3)]
    assert [r.status_code for r in rs] == [429, 429, 200]
    assert rs[0].headers["X-Rate-Limit-Reset"] == "7" and rs[0].headers["X-Rate-Limit-Remaining"] == "0"


def test_hang_fault_outlasts_client_timeout(api, fake_tripletex):
    fake_tripletex.set_faults(hang=1, hang_seconds=1.5)
    with pytest.raises(requests.Timeout):
        api.get(api.base + "/employee", params={"count": 1}, timeout=0.5)
    assert api.get(api.base + "/employee", params={"count": 1}, timeout=5).status_code == 200


def test_drop_after_commit_stores_the_write_but_closes_the_connection(api, fake_tripletex):
    fake_tripletex.set_faults(drop_after_commit=1)
    assert api.get(api.base + "/employee", params={"count": 1}).status_code == 200  # reads are not dropped
    with pytest.raises(requests.ConnectionError):
        api.post(api.base + "/customer", json={"name": "Droppet Kunde AS"})
    names = [c["name"] for c in fake_tripletex.objects(fake_tripletex.demo["id"], "customer")]
    assert names.count("Droppet Kunde AS") == 1
    assert api.post(api.base + "/customer", json={"name": "Neste Kunde AS"}).status_code == 201


def test_faults_scoped_to_company(api, fake_tripletex):
    other = fake_tripletex.create_company("Annet Firma AS", employees=2)
    s = fake_tripletex.session(employee_token=other["employee_tokens"]["GrønnJobb"])
    fake_tripletex.set_faults(error_rate=1.0, company_id=other["id"])
    assert api.get(api.base + "/employee", params={"count": 1}).status_code == 200
    assert s.get(api.base + "/employee").status_code == 500


def test_clear_faults_removes_all(api, fake_tripletex):
    fake_tripletex.set_faults(error_rate=1.0)
    fake_tripletex.clear_faults()
    assert api.get(api.base + "/employee", params={"count": 1}).status_code == 200
