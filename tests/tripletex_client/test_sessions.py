"""Sessions against the fake: creation, renewal, whoAmI, and the ways a token can be refused."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from integrations.tripletex import TokenRejected, TripletexClient, Unauthorized

CREATE = "PUT /token/session/:create"


def _utc_now():
    return dt.datetime.now(dt.UTC)


def test_who_am_i_returns_the_company_and_employee_of_the_token(tx, company):
    me = tx.who_am_i()
    assert me["companyId"] == company["id"]
    assert me["company"]["id"] == company["id"]
    assert "name" in me["company"]
    assert me["employee"]["id"] == me["employeeId"]


def test_one_session_serves_many_calls(tx, fake_tripletex, company):
    tx.who_am_i()
    tx.employee_list(fields="id")
    tx.salary_type_list(fields="id")
    assert fake_tripletex.calls(company["id"]).get(CREATE) == 1


def test_session_is_renewed_before_it_expires(make_client, fake_tripletex, company):
    clock = {"now": _utc_now()}
    tx = make_client(now=lambda: clock["now"], session_valid_days=1)
    first = tx.ensure_session()
    # Ten minutes before the start of the expiration date in Oslo: within the renewal margin.
    clock["now"] = first.expires_at - dt.timedelta(minutes=10)
    fake_tripletex.set_clock(now=clock["now"].astimezone(dt.UTC).isoformat())
    tx.who_am_i()
    assert fake_tripletex.calls(company["id"]).get(CREATE) == 2
    assert tx.ensure_session().expiration_date > first.expiration_date


def test_expired_session_is_renewed_once_on_401_and_the_call_succeeds(make_client, fake_tripletex, company, caplog):
    caplog.set_level(logging.INFO, logger="integrations.tripletex")
    clock = {"now": _utc_now()}
    # A negative margin makes the client trust its session past expiry, as it would if clocks disagree.
    tx = make_client(now=lambda: clock["now"], session_valid_days=1, session_renew_margin=-dt.timedelta(days=30))
    tx.who_am_i()
    clock["now"] += dt.timedelta(days=3)
    fake_tripletex.set_clock(offset_seconds=3 * 86400)
    me = tx.who_am_i()
    assert me["companyId"] == company["id"]
    assert fake_tripletex.calls(company["id"]).get(CREATE) == 2
    statuses = [(r.tripletex_path, r.tripletex_status) for r in caplog.records if hasattr(r, "tripletex_path")]
    assert statuses[-3:] == [("/token/session/>whoAmI", 401), (CREATE.split()[1], 200), ("/token/session/>whoAmI", 200)]


def test_revoked_token_mid_session_is_renewed_once_then_refused_permanently(tx, fake_tripletex, company):
    tx.who_am_i()
    fake_tripletex.revoke_token(company["employee_tokens"]["GrønnJobb"])
    with pytest.raises(TokenRejected) as info:
        tx.who_am_i()
    assert info.value.permanent is True
    assert isinstance(info.value, Unauthorized)
    assert "revoked" in info.value.message
    assert fake_tripletex.calls(company["id"]).get(CREATE) == 2


def test_token_made_for_another_application_is_refused_with_tripletex_message(make_client, company):
    tx = make_client(employee_token=company["employee_tokens"]["Annen app"])
    with pytest.raises(TokenRejected) as info:
        tx.who_am_i()
    assert info.value.permanent is True
    assert "application could not be found" in info.value.message
    assert info.value.request_id


def test_wrong_consumer_token_is_refused_permanently(make_client):
    tx = make_client(consumer_token="not-our-consumer-token")
    with pytest.raises(TokenRejected) as info:
        tx.who_am_i()
    assert info.value.permanent is True
    assert info.value.status == 403
    assert "consumer token" in info.value.message


def test_unknown_employee_token_is_refused_permanently(make_client):
    with pytest.raises(TokenRejected) as info:
        make_client(employee_token="no-such-token").who_am_i()
    assert info.value.permanent is True


def test_tokens_never_appear_in_logs_reprs_or_errors(make_client, fake_tripletex, company, caplog):
    caplog.set_level(logging.DEBUG)
    employee_token = company["employee_tokens"]["GrønnJobb"]
    tx = make_client()
    tx.who_am_i()
    session_token = tx.ensure_session().token
    with pytest.raises(TokenRejected) as info:
        make_client(employee_token=company["employee_tokens"]["Annen app"]).who_am_i()
    text = caplog.text + repr(tx) + repr(tx.ensure_session()) + str(info.value) + repr(info.value)
    for secret in (fake_tripletex.consumer_token, employee_token, company["employee_tokens"]["Annen app"], session_token):
        assert secret not in text
    assert "/token/session/:create" in caplog.text  # the call is logged, only without its secrets


def test_every_call_is_logged_once_with_method_path_status_duration_and_request_id(tx, caplog):
    caplog.set_level(logging.INFO, logger="integrations.tripletex")
    tx.employee_list(fields="id", params={"email": "x@example.invalid"})
    lines = [r for r in caplog.records if r.name == "integrations.tripletex"]
    assert [r.tripletex_path for r in lines] == ["/token/session/:create", "/employee"]
    last = lines[-1]
    assert last.tripletex_method == "GET" and last.tripletex_status == 200
    assert last.tripletex_request_id and last.duration_ms >= 0
    assert "x@example.invalid" not in caplog.text


def test_client_uses_the_configured_base_url(fake_tripletex, company):
    with TripletexClient(
        base_url=fake_tripletex.base_url + "/",
        consumer_token=fake_tripletex.consumer_token,
        employee_token=company["employee_tokens"]["GrønnJobb"],
    ) as tx:
        assert tx.who_am_i()["companyId"] == company["id"]


def test_each_token_refusal_is_told_apart_by_tripletexs_code_not_its_words(make_client, fake_tripletex, company):
    from integrations.tripletex.errors import TokenProblem, token_problem

    def problem(**credentials) -> TokenProblem:
        with pytest.raises(TokenRejected) as info:
            make_client(**credentials).who_am_i()
        return token_problem(info.value)

    revoked = fake_tripletex.make_token(company["id"], "GrønnJobb")
    fake_tripletex.revoke_token(revoked)
    assert problem(employee_token=company["employee_tokens"]["Annen app"]) == TokenProblem.WRONG_APPLICATION
    assert problem(employee_token=revoked) == TokenProblem.REVOKED
    assert problem(consumer_token="not-our-consumer-token") == TokenProblem.CONSUMER
    assert problem(employee_token="no-such-token") == TokenProblem.UNKNOWN
