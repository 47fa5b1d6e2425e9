"""Tokens and sessions behave like Tripletex's."""
import datetime as dt

import requests

from .conftest import create_session


def test_session_create_returns_session_token_in_value_envelope(fake_tripletex):
    r = create_session(fake_tripletex, fake_tripletex.demo["employee_tokens"]["GrønnJobb"])
    assert r.status_code == 200
    value = r.json()["value"]
    assert value["token"] and value["expirationDate"]


def test_token_for_other_application_is_refused_with_application_message(fake_tripletex):
    r = create_session(fake_tripletex, fake_tripletex.demo["employee_tokens"]["Annen app"])
    assert 400 <= r.status_code < 500
    body = r.json()
    assert "application could not be found" in body["message"]
    assert body["requestId"] and r.headers["x-tlx-request-id"] == body["requestId"]


def test_application_name_is_case_sensitive(fake_tripletex):
    token = fake_tripletex.make_token(fake_tripletex.demo["id"], "grønnjobb")
    r = create_session(fake_tripletex, token)
    assert "application could not be found" in r.json()["message"]


def test_unknown_token_message_differs_from_wrong_application(fake_tripletex):
    r = create_session(fake_tripletex, "no-such-token")
    assert 400 <= r.status_code < 500
    assert "application" not in r.json()["message"]
    assert "Invalid employee token" in r.json()["message"]


def test_revoked_token_is_refused_and_its_sessions_end(fake_tripletex):
    token = fake_tripletex.make_token(fake_tripletex.demo["id"], "GrønnJobb")
    s = fake_tripletex.session(employee_token=token)
    assert s.get(f"{fake_tripletex.base_url}/token/session/>whoAmI").status_code == 200
    fake_tripletex.revoke_token(token)
    r = create_session(fake_tripletex, token)
    assert r.status_code == 403 and "revoked" in r.json()["message"]
    r = s.get(f"{fake_tripletex.base_url}/token/session/>whoAmI")
    assert r.status_code == 401 and r.json()["code"] == 3000


def test_wrong_consumer_token_is_refused(fake_tripletex):
    r = create_session(fake_tripletex, fake_tripletex.demo["employee_tokens"]["GrønnJobb"], consumer_token="bogus")
    assert r.status_code == 403 and "consumer token" in r.json()["message"]


def test_other_application_works_with_its_own_consumer_token(fake_tripletex):
    consumer = fake_tripletex.consumer_token_for("Annen app")
    r = create_session(fake_tripletex, fake_tripletex.demo["employee_tokens"]["Annen app"], consumer_token=consumer)
    assert r.status_code == 200


def test_calls_without_valid_basic_auth_get_401_code_3000(fake_tripletex):
    base = fake_tripletex.base_url
    for auth in (None, ("0", "not-a-session")):
        r = requests.get(f"{base}/employee", auth=auth, timeout=10)
        assert r.status_code == 401 and r.json()["code"] == 3000


def test_basic_auth_user_may_be_company_id(fake_tripletex):
    s = fake_tripletex.session()
    s.auth = (str(fake_tripletex.demo["id"]), s.auth[1])
    assert s.get(f"{fake_tripletex.base_url}/token/session/>whoAmI").status_code == 200


def test_session_expires_at_end_of_expiration_date_in_oslo(fake_tripletex):
    base = fake_tripletex.base_url
    fake_tripletex.set_clock(now="2030-06-10T12:00:00Z")
    r = create_session(fake_tripletex, fake_tripletex.demo["employee_tokens"]["GrønnJobb"],
                       expiration=dt.date(2030, 6, 10))
    token = r.json()["value"]["token"]
    # 21:30 UTC is 23:30 in Oslo (summer time): still the expiration date there.
    fake_tripletex.set_clock(now="2030-06-10T21:30:00Z")
    assert requests.get(f"{base}/token/session/>whoAmI", auth=("0", token), timeout=10).status_code == 200
    # 22:30 UTC is 00:30 the next day in Oslo, though still June 10th in UTC.
    fake_tripletex.set_clock(now="2030-06-10T22:30:00Z")
    r = requests.get(f"{base}/token/session/>whoAmI", auth=("0", token), timeout=10)
    assert r.status_code == 401 and r.json()["code"] == 3000


def test_expiration_date_in_the_past_is_refused(fake_tripletex):
    r = create_session(fake_tripletex, fake_tripletex.demo["employee_tokens"]["GrønnJobb"],
                       expiration=dt.date.today() - dt.timedelta(days=2))
    assert r.status_code == 422


def test_whoami_returns_ids_and_selected_fields(api, fake_tripletex):
    r = api.get(api.base + "/token/session/>whoAmI", params={"fields": "*,company(*),employee(*)"})
    value = r.json()["value"]
    assert value["companyId"] == fake_tripletex.demo["id"]
    assert value["company"]["name"] == "Demo AS"
    assert value["employee"]["id"] == value["employeeId"]
    narrow = api.get(api.base + "/token/session/>whoAmI", params={"fields": "companyId"}).json()["value"]
    assert narrow == {"companyId": fake_tripletex.demo["id"]}


def test_special_path_characters_work_literally_and_percent_encoded(api, fake_tripletex):
    for path in ("/token/session/>whoAmI", "/token/session/%3EwhoAmI", "/token/session/%3ewhoAmI"):
        assert api.get(api.base + path).status_code == 200, path
    params = {"consumerToken": fake_tripletex.consumer_token,
              "employeeToken": fake_tripletex.demo["employee_tokens"]["GrønnJobb"],
              "expirationDate": (dt.date.today() + dt.timedelta(days=1)).isoformat()}
    for path in ("/token/session/:create", "/token/session/%3Acreate"):
        assert requests.put(fake_tripletex.base_url + path, params=params, timeout=10).status_code == 200
