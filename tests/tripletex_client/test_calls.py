"""Paging, fields, error envelopes and the fault knobs, against the fake over real HTTP."""

from __future__ import annotations

import pytest

from integrations.tripletex import (
    Conflict,
    InDoubt,
    NotFound,
    RateLimited,
    ServerError,
    TimedOut,
    ValidationFailed,
)


def _general_activity(tx):
    return tx.activity_create({"name": "Intern tid", "activityType": "GENERAL_ACTIVITY"})


def test_paging_stops_on_full_result_size_with_the_right_number_of_calls(make_client, fake_tripletex, company):
    tx = make_client(page_size=2)
    total = len(fake_tripletex.objects(company["id"], "employee"))
    fake_tripletex.clear_calls()
    progress = []
    employees = tx.employee_list(fields="id", progress=lambda done, of: progress.append((done, of)))
    assert len(employees) == total
    pages = fake_tripletex.calls(company["id"]).get("GET /employee")
    assert pages == -(-total // 2)
    assert progress[-1] == (total, total)


def test_fields_select_only_the_asked_fields_including_nested(tx):
    projects = tx.project_list(fields="id,number,projectManager(id,firstName)")
    assert projects
    for project in projects:
        assert set(project) <= {"id", "number", "projectManager"}
        assert set(project["projectManager"]) <= {"id", "firstName"}


def test_validation_error_carries_message_field_messages_and_request_id(tx):
    with pytest.raises(ValidationFailed) as info:
        tx.employee_create({"firstName": "Uten"})
    error = info.value
    assert error.status == 422 and error.code == 15000 and error.permanent is True
    assert "lastName" in error.validation
    assert error.request_id
    assert error.developer_message


def test_missing_object_raises_not_found(tx):
    with pytest.raises(NotFound) as info:
        tx.employee_get(987654321)
    assert info.value.permanent is True


def test_stale_version_raises_conflict(tx):
    employee = tx.employee_create({"firstName": "Ola", "lastName": "Gammel"})
    tx.employee_update(employee["id"], {"lastName": "Ny"}, version=employee["version"])
    with pytest.raises(Conflict) as info:
        tx.employee_update(employee["id"], {"lastName": "Blind"}, version=employee["version"])
    assert info.value.status == 409 and info.value.code == 8000 and info.value.permanent is True
    assert info.value.maybe_applied is False


def test_429_burst_is_waited_out_using_the_reset_header(tx, fake_tripletex, company, sleeps):
    tx.who_am_i()
    fake_tripletex.set_faults(company_id=company["id"], burst_429=3, reset_seconds=2)
    assert tx.salary_type_list(fields="id")
    assert sleeps == [2.0, 2.0, 2.0]


def test_429_burst_longer_than_the_wait_cap_raises_rate_limited(make_client, fake_tripletex, company, sleeps):
    tx = make_client(max_rate_limit_wait=5.0)
    tx.who_am_i()
    fake_tripletex.set_faults(company_id=company["id"], burst_429=10, reset_seconds=2)
    with pytest.raises(RateLimited) as info:
        tx.salary_type_list(fields="id")
    assert info.value.permanent is False and info.value.reset_after == 2
    assert sum(sleeps) <= 5.0


def test_client_slows_down_before_the_quota_runs_out(make_client, fake_tripletex, company, sleeps):
    fake_tripletex.set_rate_limit(limit=8, window=60)
    tx = make_client(rate_limit_headroom=3, max_rate_limit_wait=120)
    for _ in range(4):
        tx.employee_list(fields="id")
    # 1 session + 4 reads leaves 3: the headroom. The next call waits for the window instead of spending it.
    assert sleeps == []
    fake_tripletex.set_rate_limit(limit=8, window=60)  # the "window reset" the client waits for
    tx.employee_list(fields="id")
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 60


def test_5xx_on_a_read_is_retried(tx, fake_tripletex, company, sleeps):
    tx.who_am_i()
    fake_tripletex.set_faults(company_id=company["id"], path_prefix="/employee", error_rate=1.0, error_status=503)
    with pytest.raises(ServerError) as info:
        tx.employee_list(fields="id")
    assert info.value.permanent is False and info.value.status == 503
    assert fake_tripletex.calls(company["id"]).get("GET /employee") == 3
    fake_tripletex.clear_faults()
    fake_tripletex.set_faults(company_id=company["id"], path_prefix="/employee", error_rate=0.5)
    assert tx.employee_list(fields="id")  # every other call fails: the retry gets through


def test_hang_on_a_read_times_out_and_is_retried(make_client, fake_tripletex, company):
    tx = make_client(read_timeout=0.3)
    tx.who_am_i()
    fake_tripletex.set_faults(company_id=company["id"], path_prefix="/salary", hang=1, hang_seconds=2)
    assert tx.salary_type_list(fields="id")
    assert fake_tripletex.calls(company["id"]).get("GET /salary/type") == 2


def test_hang_on_every_read_ends_in_a_transient_timeout(make_client, fake_tripletex, company):
    tx = make_client(read_timeout=0.2)
    tx.who_am_i()
    fake_tripletex.set_faults(company_id=company["id"], path_prefix="/salary", hang=5, hang_seconds=1)
    with pytest.raises(TimedOut) as info:
        tx.salary_type_list(fields="id")
    assert info.value.permanent is False


def test_commit_then_drop_on_a_post_is_in_doubt_and_the_object_exists(tx, fake_tripletex, company):
    tx.who_am_i()
    fake_tripletex.set_faults(company_id=company["id"], path_prefix="/customer", drop_after_commit=1)
    with pytest.raises(InDoubt) as info:
        tx.customer_create({"name": "Tvil AS"})
    assert info.value.permanent is False
    assert fake_tripletex.calls(company["id"]).get("POST /customer") == 1  # never resent
    assert [c["name"] for c in tx.customer_list(fields="name") if c["name"] == "Tvil AS"] == ["Tvil AS"]


def test_hang_on_a_post_is_in_doubt_not_retried(make_client, fake_tripletex, company):
    tx = make_client(read_timeout=0.3)
    tx.who_am_i()
    fake_tripletex.set_faults(company_id=company["id"], path_prefix="/supplier", hang=1, hang_seconds=1)
    with pytest.raises(InDoubt):
        tx.supplier_create({"name": "Treg Leverandør AS"})
    assert fake_tripletex.calls(company["id"]).get("POST /supplier") == 1


def test_versioned_put_is_retried_safely_after_a_drop(tx, fake_tripletex, company):
    project = tx.project_list(fields="id,version,name")[0]
    fake_tripletex.set_faults(company_id=company["id"], path_prefix="/project/", drop_after_commit=1)
    # The first PUT commits and drops; the resend carries the old version, so it cannot overwrite blindly.
    with pytest.raises(Conflict) as info:
        tx.project_update(project["id"], {"name": "Omdøpt"}, version=project["version"])
    assert info.value.maybe_applied is True
    assert tx.project_get(project["id"], fields="name")["name"] == "Omdøpt"


def test_versioned_put_is_retried_after_a_5xx_and_succeeds(tx, fake_tripletex, company):
    project = tx.project_list(fields="id,version")[0]
    fake_tripletex.set_faults(company_id=company["id"], path_prefix="/project/", error_rate=0.5)
    tx.project_get(project["id"], fields="id")  # the fake fails every second call: this one passes
    updated = tx.project_update(project["id"], {"description": "Etter 5xx"}, version=project["version"])
    assert updated["version"] == project["version"] + 1
    assert fake_tripletex.calls(company["id"]).get("PUT /project/{id}") == 2


def test_5xx_on_a_post_is_in_doubt(tx, fake_tripletex, company):
    tx.who_am_i()
    fake_tripletex.set_faults(company_id=company["id"], path_prefix="/customer", error_rate=1.0)
    with pytest.raises(InDoubt) as info:
        tx.customer_create({"name": "Kanskje AS"})
    assert info.value.status == 500
    assert fake_tripletex.calls(company["id"]).get("POST /customer") == 1


def test_version_digest_gives_none_when_nothing_changed(tx):
    page = tx.list_page("/customer", fields="id,version")
    assert page["versionDigest"]
    assert tx.list_page("/customer", fields="id,version", version_digest=page["versionDigest"]) is None


def test_decimal_amounts_come_back_as_decimal(tx, today):
    employee = tx.employee_list(fields="id")[0]
    activity = _general_activity(tx)
    entry = tx.timesheet_entry_create(
        {"employee": {"id": employee["id"]}, "activity": {"id": activity["id"]}, "date": today, "hours": 1.5}
    )
    assert str(entry["hours"]) == "1.5"
    assert type(entry["hours"]).__name__ == "Decimal"
