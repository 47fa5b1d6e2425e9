"""A token whose Tripletex user lacks a right: the calls under it answer 403 code 9000, as Tripletex does; the knob
takes only paths and methods Tripletex's spec has. And a locked month says who approved it."""
import pytest
import requests


@pytest.fixture
def token(fake_tripletex):
    token = fake_tripletex.make_token(fake_tripletex.demo["id"], "GrønnJobb")
    yield token
    fake_tripletex.deny_rights(token)


def test_a_denied_path_answers_403_code_9000_in_the_error_envelope(fake_tripletex, token):
    fake_tripletex.deny_rights(token, {"path": "/timesheet/entry"})
    s = fake_tripletex.session(employee_token=token)
    r = s.get(f"{fake_tripletex.base_url}/timesheet/entry",
              params={"dateFrom": "2026-11-01", "dateTo": "2026-11-02", "count": 1})
    body = r.json()
    assert r.status_code == 403 and body["code"] == 9000 and body["requestId"]
    # Other functions and the session's own lookup still answer.
    assert s.get(f"{fake_tripletex.base_url}/project", params={"count": 1}).status_code == 200
    assert s.get(f"{fake_tripletex.base_url}/token/session/>whoAmI").status_code == 200


def test_a_right_taken_for_writes_only_leaves_reads(fake_tripletex, token):
    fake_tripletex.deny_rights(token, {"path": "/activity", "methods": ["POST"]})
    s = fake_tripletex.session(employee_token=token)
    assert s.get(f"{fake_tripletex.base_url}/activity", params={"count": 1}).status_code == 200
    r = s.post(f"{fake_tripletex.base_url}/activity", json={"name": "Ny", "activityType": "GENERAL_ACTIVITY"})
    assert r.status_code == 403 and r.json()["code"] == 9000


def test_a_right_given_back_works_again_with_the_same_session(fake_tripletex, token):
    fake_tripletex.deny_rights(token, {"path": "/employee"})
    s = fake_tripletex.session(employee_token=token)
    assert s.get(f"{fake_tripletex.base_url}/employee", params={"count": 1}).status_code == 403
    fake_tripletex.deny_rights(token)
    assert s.get(f"{fake_tripletex.base_url}/employee", params={"count": 1}).status_code == 200


def test_other_tokens_of_the_company_keep_their_rights(fake_tripletex, token):
    fake_tripletex.deny_rights(token, {"path": "/project"})
    s = fake_tripletex.session()
    assert s.get(f"{fake_tripletex.base_url}/project", params={"count": 1}).status_code == 200


@pytest.mark.parametrize("rule", [
    {"path": "/timesheets/entry"},  # not a Tripletex path
    {"path": "/salary/type", "methods": ["DELETE"]},  # Tripletex serves no DELETE there
    {"path": "/token/session"},  # the session itself needs no right
])
def test_the_knob_refuses_what_the_spec_does_not_have(fake_tripletex, token, rule):
    r = requests.post(f"{fake_tripletex.root_url}/_fake/tokens/rights", json={"token": token, "deny": [rule]},
                      timeout=10)
    assert r.status_code == 400


def test_a_locked_month_says_who_approved_it(fake_tripletex):
    info = fake_tripletex.create_company("Låst måned AS", employees=2)
    employees = fake_tripletex.objects(info["id"], "employee")
    approver, worker = employees[0]["id"], employees[1]["id"]
    fake_tripletex.lock_period(info["id"], "2026-10-01", "2026-10-31", approved_by=approver)
    s = fake_tripletex.session(employee_token=info["employee_tokens"]["GrønnJobb"])
    r = s.get(f"{fake_tripletex.base_url}/timesheet/month/byMonthNumber", params={
        "employeeIds": str(worker), "monthYear": "2026-10",
        "fields": "approved,approvedUntilDate,approvedDate,approvedBy(id,firstName,lastName)"})
    status = r.json()["values"][0]
    assert status["approved"] and status["approvedUntilDate"] == "2026-10-31"
    assert status["approvedBy"]["id"] == approver and status["approvedBy"]["firstName"] and status["approvedDate"]
