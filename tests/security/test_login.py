"""Login throttling and password rules.

After LOGIN_FAILURE_LIMIT failed logins for one account, or from one address, that account or address is
refused, even with the right password, with a message saying why and for how long; after the lockout time
it may log in again. Passwords must pass Django's standard validators.
"""
import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
# Addresses from the documentation range: only a header in these requests, nothing is sent anywhere.
HOME_IP, OFFICE_IP, OTHER_IP = "192.0.2.10", "192.0.2.20", "192.0.2.30"


def log_in(email, password, ip=HOME_IP, client=None):
    client = client or Client()
    return client, client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(email, times, ip=HOME_IP):
    for _ in range(times):
        _, response = log_in(email, "feil-passord", ip)
        assert response.status_code in (200, 429)


def test_an_account_is_locked_after_repeated_failures_even_with_the_right_password(world, settings):
    fail("alice@alfa.no", settings.AXES_FAILURE_LIMIT, ip=HOME_IP)
    client, response = log_in("alice@alfa.no", PASSWORD, ip=OTHER_IP)
    assert response.status_code == 429 and not logged_in(client)
    assert "For mange mislykkede innlogginger" in response.content.decode()
    assert "15 minutter" in response.content.decode()


def test_fewer_failures_than_the_limit_still_let_the_right_password_in(world, settings):
    fail("alice@alfa.no", settings.AXES_FAILURE_LIMIT - 1)
    client, response = log_in("alice@alfa.no", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_failures_count_against_the_account_whatever_the_case_of_the_email(world, settings):
    fail("Alice@Alfa.NO", settings.AXES_FAILURE_LIMIT)
    client, response = log_in("alice@alfa.no", PASSWORD)
    assert response.status_code == 429 and not logged_in(client)


def test_an_address_is_locked_after_repeated_failures_on_any_accounts(world, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        fail(f"gjett{n}@alfa.no", 1, ip=OFFICE_IP)
    client, response = log_in("bob@beta.no", PASSWORD, ip=OFFICE_IP)
    assert response.status_code == 429 and not logged_in(client)
    client, response = log_in("bob@beta.no", PASSWORD, ip=OTHER_IP)
    assert response.status_code == 302 and logged_in(client)


def test_behind_a_proxy_failures_count_per_address_the_proxy_saw(world, settings):
    settings.LOGIN_TRUSTED_PROXIES = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        Client().post(LOGIN, {"username": f"gjett{n}@alfa.no", "password": "feil"},
                      REMOTE_ADDR=HOME_IP, HTTP_X_FORWARDED_FOR=f"198.51.100.7, {OFFICE_IP}")
    behind_same_proxy = Client()
    behind_same_proxy.post(LOGIN, {"username": "bob@beta.no", "password": PASSWORD},
                           REMOTE_ADDR=HOME_IP, HTTP_X_FORWARDED_FOR=OTHER_IP)
    assert logged_in(behind_same_proxy)
    locked = Client()
    response = locked.post(LOGIN, {"username": "bob@beta.no", "password": PASSWORD},
                           REMOTE_ADDR=HOME_IP, HTTP_X_FORWARDED_FOR=OFFICE_IP)
    assert response.status_code == 429 and not logged_in(locked)


def test_without_a_trusted_proxy_a_forged_forwarded_address_does_not_escape_the_lockout(world, settings):
    fail("gjett@alfa.no", settings.AXES_FAILURE_LIMIT, ip=OFFICE_IP)
    client = Client()
    response = client.post(LOGIN, {"username": "bob@beta.no", "password": PASSWORD},
                           REMOTE_ADDR=OFFICE_IP, HTTP_X_FORWARDED_FOR=OTHER_IP)
    assert response.status_code == 429 and not logged_in(client)


def test_a_locked_account_may_log_in_again_after_the_lockout_time(world, settings):
    fail("alice@alfa.no", settings.AXES_FAILURE_LIMIT)
    assert log_in("alice@alfa.no", PASSWORD)[1].status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1))
    client, response = log_in("alice@alfa.no", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_a_good_login_clears_the_accounts_failures(world, settings):
    fail("alice@alfa.no", settings.AXES_FAILURE_LIMIT - 1)
    assert log_in("alice@alfa.no", PASSWORD)[1].status_code == 302
    fail("alice@alfa.no", settings.AXES_FAILURE_LIMIT - 1, ip=OTHER_IP)
    client, response = log_in("alice@alfa.no", PASSWORD, ip=OTHER_IP)
    assert response.status_code == 302 and logged_in(client)


def test_the_lockout_message_is_translated(world, settings):
    fail("alice@alfa.no", settings.AXES_FAILURE_LIMIT)
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _, response = log_in("alice@alfa.no", PASSWORD, client=client)
    assert response.status_code == 429 and "Too many failed logins" in response.content.decode()


@pytest.mark.parametrize("password", ["alice.alfa", "kort1", "password123", "4815162342"],
                         ids=["like the e-mail", "too short", "common", "only digits"])
def test_weak_passwords_are_refused(world, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=world.alice)


def test_a_strong_password_passes(world):
    validate_password("Blåbær-Syltetøy-2026", user=world.alice)
