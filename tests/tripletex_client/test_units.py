"""Rules of the client that need no server: dates, paging arithmetic, backoff, error envelopes, redaction."""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from integrations.tripletex import Conflict, RateLimited, TripletexError, ValidationFailed
from integrations.tripletex.errors import (
    Refusal,
    TokenProblem,
    classify,
    describe,
    error_class_for,
    is_permanent,
    parse_envelope,
    token_problem,
)
from integrations.tripletex.paging import iter_values
from integrations.tripletex.ratelimit import RateLimiter
from integrations.tripletex.redaction import RedactTokensFilter
from integrations.tripletex.retry import RetryPolicy, body_has_versions
from integrations.tripletex.session import OSLO, SessionToken, expiration_date_for
from integrations.tripletex.transport import encode_body, encode_params


def test_session_expiration_date_is_computed_in_oslo_not_utc():
    # 23:30 UTC on 31 March is already 1 April in Oslo (summer time, UTC+2).
    late_utc = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)
    assert expiration_date_for(late_utc, valid_days=1) == dt.date(2026, 4, 2)


def test_a_session_made_inside_the_renewal_margin_is_not_born_needing_renewal():
    margin = dt.timedelta(minutes=30)
    just_before_midnight = dt.datetime(2026, 5, 9, 23, 50, tzinfo=OSLO)
    date = expiration_date_for(just_before_midnight, valid_days=1, renew_margin=margin)
    assert not SessionToken(token="t", expiration_date=date).needs_renewal(just_before_midnight, margin=margin)


def test_session_is_renewed_before_midnight_oslo_of_its_expiration_date():
    session = SessionToken(token="secret", expiration_date=dt.date(2026, 5, 10))
    margin = dt.timedelta(minutes=30)
    assert not session.needs_renewal(dt.datetime(2026, 5, 9, 23, 0, tzinfo=OSLO), margin=margin)
    assert session.needs_renewal(dt.datetime(2026, 5, 9, 23, 45, tzinfo=OSLO), margin=margin)


def test_session_token_repr_hides_the_token():
    assert "secret-value" not in repr(SessionToken(token="secret-value", expiration_date=dt.date(2026, 1, 1)))


def _pages(total, sizes):
    calls = []

    def fetch(offset, count):
        calls.append((offset, count))
        n = max(0, min(count, sizes - offset))
        return {"fullResultSize": total, "from": offset, "count": n, "values": [{"i": offset + k} for k in range(n)]}

    return fetch, calls


def test_paging_stops_on_full_result_size_without_an_extra_empty_call():
    fetch, calls = _pages(total=25, sizes=25)
    progress = []
    values = list(iter_values(fetch, page_size=10, progress=lambda done, total: progress.append((done, total))))
    assert [v["i"] for v in values] == list(range(25))
    assert calls == [(0, 10), (10, 10), (20, 10)]
    assert progress == [(10, 25), (20, 25), (25, 25)]


def test_paging_stops_on_an_exact_multiple_of_the_page_size():
    fetch, calls = _pages(total=20, sizes=20)
    assert len(list(iter_values(fetch, page_size=10))) == 20
    assert len(calls) == 2


def test_paging_stops_on_a_short_page_when_full_result_size_is_wrong():
    fetch, calls = _pages(total=1000, sizes=15)
    assert len(list(iter_values(fetch, page_size=10))) == 15
    assert len(calls) == 2


def test_paging_respects_a_limit():
    fetch, calls = _pages(total=100, sizes=100)
    assert len(list(iter_values(fetch, page_size=10, limit=15))) == 15
    assert calls == [(0, 10), (10, 5)]


def test_backoff_is_capped_exponential_with_jitter():
    policy = RetryPolicy(attempts=5, base=1.0, cap=4.0)
    assert [policy.backoff(n, rand=lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 4.0, 4.0]
    assert policy.backoff(3, rand=lambda: 0.25) == 1.0


def test_only_puts_carrying_versions_count_as_repeatable():
    assert body_has_versions({"id": 1, "version": 3})
    assert body_has_versions([{"id": 1, "version": 0}, {"id": 2, "version": 5}])
    assert not body_has_versions([{"id": 1, "version": 0}, {"id": 2}])
    assert not body_has_versions([])
    assert not body_has_versions({"id": 1})


def test_rate_limiter_waits_for_reset_once_only_headroom_is_left():
    now = [100.0]
    limiter = RateLimiter(headroom=5, clock=lambda: now[0])
    limiter.observe({"X-Rate-Limit-Remaining": "7", "X-Rate-Limit-Reset": "8"}, limiter.reserve())
    assert limiter.reserve().wait == 0
    assert limiter.reserve().wait == 0
    assert limiter.reserve().wait == pytest.approx(8.0)
    now[0] += 3
    assert limiter.reserve().wait == pytest.approx(5.0)
    now[0] += 6
    assert limiter.reserve().wait == 0


def test_rate_limiter_shared_by_threads_grants_calls_down_to_the_headroom_and_no_more():
    limiter = RateLimiter(headroom=5, clock=lambda: 100.0)
    limiter.observe({"X-Rate-Limit-Remaining": "15", "X-Rate-Limit-Reset": "8"}, limiter.reserve())
    with ThreadPoolExecutor(8) as pool:
        waits = [r.wait for r in pool.map(lambda _: limiter.reserve(), range(40))]
    assert waits.count(0) == 10


def test_rate_limiter_lowers_a_count_by_the_calls_made_after_it_and_ignores_older_answers():
    limiter = RateLimiter(headroom=5, clock=lambda: 100.0)
    first, second, _third = limiter.reserve(), limiter.reserve(), limiter.reserve()
    # The second call's answer comes first; the third call is still on its way.
    limiter.observe({"X-Rate-Limit-Remaining": "8", "X-Rate-Limit-Reset": "8"}, second)
    limiter.observe({"X-Rate-Limit-Remaining": "9", "X-Rate-Limit-Reset": "8"}, first)
    assert [limiter.reserve().wait for _ in range(3)] == [0, 0, pytest.approx(8.0)]


def test_rate_limiter_keeps_its_own_count_when_an_answer_leaves_more():
    limiter = RateLimiter(headroom=5, clock=lambda: 100.0)
    limiter.observe({"X-Rate-Limit-Remaining": "8", "X-Rate-Limit-Reset": "8"}, limiter.reserve())
    # Tripletex has not counted a call that timed out before it was sent; our count has.
    limiter.observe({"X-Rate-Limit-Remaining": "9", "X-Rate-Limit-Reset": "8"}, limiter.reserve())
    assert [limiter.reserve().wait for _ in range(3)] == [0, 0, pytest.approx(8.0)]


def test_error_envelope_fields_are_kept():
    envelope = parse_envelope(
        {
            "status": 422,
            "code": 15000,
            "message": "Validering feilet.",
            "developerMessage": "dev",
            "validationMessages": [{"field": "lastName", "message": "Kan ikke være null."}],
            "requestId": "abc-123",
        }
    )
    assert envelope == {
        "code": 15000,
        "message": "Validering feilet.",
        "developer_message": "dev",
        "validation": {"lastName": "Kan ikke være null."},
        "request_id": "abc-123",
    }


def test_4xx_is_permanent_but_429_and_5xx_are_not():
    assert is_permanent(400) and is_permanent(404) and is_permanent(409) and is_permanent(422)
    assert not is_permanent(429) and not is_permanent(500) and not is_permanent(503)
    assert error_class_for(409) is Conflict
    assert error_class_for(422) is ValidationFailed
    assert error_class_for(429) is RateLimited


def test_error_str_and_repr_carry_message_validation_and_request_id():
    exc = ValidationFailed(
        422, 15000, "Validering feilet.", validation={"lastName": "mangler"}, request_id="rid-1", permanent=True
    )
    assert "lastName: mangler" in str(exc) and "rid-1" in str(exc)
    assert "rid-1" in repr(exc)
    assert isinstance(exc, TripletexError)


def test_amounts_are_sent_as_json_numbers_and_dates_as_iso_strings():
    body = encode_body({"amount": Decimal("1234.56"), "date": dt.date(2026, 1, 31)})
    assert body == b'{"amount": 1234.56, "date": "2026-01-31"}'


def test_query_params_use_tripletex_conventions():
    assert encode_params({"a": True, "b": False, "ids": [1, 2, 3], "d": dt.date(2026, 2, 1), "none": None}) == {
        "a": "true",
        "b": "false",
        "ids": "1,2,3",
        "d": "2026-02-01",
    }


def test_urllib3_debug_lines_do_not_carry_session_creation_tokens():
    record = logging.LogRecord(
        "urllib3.connectionpool",
        logging.DEBUG,
        __file__,
        1,
        '%s://%s:%s "%s %s %s" %s %s',
        ("http", "h", 80, "PUT", "/v2/token/session/:create?consumerToken=ct-1&employeeToken=et-2&x=1", "HTTP/1.1", 200, 10),
        None,
    )
    RedactTokensFilter().filter(record)
    line = record.getMessage()
    assert "ct-1" not in line and "et-2" not in line and "x=1" in line


def _from_envelope(status: int, body: dict) -> TripletexError:
    return error_class_for(status)(status, permanent=is_permanent(status), **parse_envelope(body))


@pytest.mark.parametrize("status, refusal", [
    (400, Refusal.INVALID), (401, Refusal.TOKEN), (403, Refusal.TOKEN), (404, Refusal.GONE),
    (409, Refusal.CONFLICT), (422, Refusal.INVALID), (423, Refusal.LOCKED), (429, Refusal.LATER),
    (503, Refusal.LATER),
])
def test_errors_are_sorted_by_status_whatever_their_message_says(status, refusal):
    # Words that a guess at the text would take for a lock, on errors that are not one.
    exc = _from_envelope(status, {"code": 15000, "message": "Perioden er låst (locked, approved)"})
    assert classify(exc) == refusal


def test_a_consumer_token_tripletex_does_not_know_is_told_by_the_field_it_names():
    # Tripletex's answer as reported in Tripletex/tripletex-api2 issue 53.
    exc = _from_envelope(422, {"status": 422, "code": 18000, "message": "Validering feilet.",
                               "validationMessages": [{"field": "arg:consumerToken",
                                                       "message": "The consumer token is invalid or does not exist."}]})
    assert token_problem(exc) == TokenProblem.CONSUMER


def test_describe_gives_tripletexs_message_with_its_field_messages():
    exc = _from_envelope(422, {"message": "Validering feilet.", "validationMessages": [
        {"field": "hours", "message": "Timer må være et tall mellom 0 og 24."}]})
    assert describe(exc) == "Validering feilet. (hours: Timer må være et tall mellom 0 og 24.)"
