"""Production settings (DJANGO_DEBUG=false): `check --deploy` is clean, and the app refuses to start without its
secrets. Each check runs `manage.py` as the image does, with only the environment an operator sets."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": Fernet.generate_key().decode() + Fernet.generate_key().decode(),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "TRIPLETEX_CONSUMER_TOKEN": "consumer-token-for-the-check",
        "ALLOWED_HOSTS": "grjobb.example.no",
        "CSRF_TRUSTED_ORIGINS": "https://grjobb.example.no",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO",
        "GRJOBB_VAR_DIR": str(tmp_path),
    }


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def production_settings(env: dict, *names: str) -> dict:
    code = (f"import json; from django.conf import settings as s; "
            f"print(json.dumps({{n: getattr(s, n, None) for n in {list(names)!r}}}))")
    done = manage(env, "shell", "-c", code)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_production_settings(production_env):
    done = manage(production_env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "TRIPLETEX_CONSUMER_TOKEN"])
def test_production_refuses_to_start_without_a_secret_and_names_it(production_env, missing):
    env = {k: v for k, v in production_env.items() if k != missing}
    done = manage(env, "check")
    assert done.returncode != 0
    assert f"needs {missing} in the environment" in done.stderr
    env[missing] = ""  # set but empty is as missing
    assert manage(env, "check").returncode != 0


def test_production_defaults_are_https_hsts_secure_cookies_and_json_logs(production_env):
    values = production_settings(production_env, "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE",
                                 "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER", "LOG_FORMAT", "DEBUG")
    assert values == {
        "SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 31536000, "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True, "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "LOG_FORMAT": "json", "DEBUG": False,
    }


def test_the_operator_can_lower_hsts_and_leave_the_proxy_header_unset(production_env):
    env = {**production_env, "SECURE_HSTS_SECONDS": "300", "SECURE_PROXY_SSL_HEADER": ""}
    assert production_settings(env, "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER") == {
        "SECURE_HSTS_SECONDS": 300, "SECURE_PROXY_SSL_HEADER": None,
    }


@pytest.mark.django_db
def test_behind_the_proxy_http_is_sent_to_https_but_the_probes_answer_over_http(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/logg-inn/").status_code == 301
    assert client.get("/logg-inn/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_the_probes_answer_the_platform_by_any_address_while_pages_keep_to_allowed_hosts(client, settings):
    settings.ALLOWED_HOSTS = ["grjobb.example.no"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST="10.0.3.7:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.3.7:8000").json()["status"] == "ok"
    assert client.get("/logg-inn/", HTTP_HOST="10.0.3.7:8000").status_code == 400
