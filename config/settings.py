"""One settings module; every switch comes from the environment (see the README's table).

The defaults give the embedded run: SQLite and a filesystem broker under var/, no server needed.
"""
import datetime as dt
import json
import secrets
from pathlib import Path

import environ
from celery.schedules import crontab
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue
from pythonjsonlogger.core import RESERVED_ATTRS as RESERVED_LOG_ATTRS

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("GRJOBB_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)


def _dev_secrets() -> dict:
    """Per-checkout secrets for the embedded run, made once and kept under var/.

    Production sets SECRET_KEY and FIELD_ENCRYPTION_KEYS and never reaches this.
    """
    path = VAR_DIR / "dev-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    values = {"SECRET_KEY": secrets.token_urlsafe(50), "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values


if DEBUG:
    _dev = _dev_secrets()
    SECRET_KEY = env.str("SECRET_KEY", default=_dev["SECRET_KEY"])
    FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[_dev["FIELD_ENCRYPTION_KEYS"]])
else:
    # Production refuses to start without its secrets rather than run on made-up ones: a made-up encryption
    # key would store tokens nobody can read after the next start.
    _required = ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "TRIPLETEX_CONSUMER_TOKEN")
    _missing = [name for name in _required if not env.str(name, "")]
    if _missing:
        raise ImproperlyConfigured(
            f"Production (DJANGO_DEBUG=false) needs {', '.join(_missing)} in the environment (see .env.example)"
        )
    SECRET_KEY = env.str("SECRET_KEY")
    FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "tenants",
    "hr",
    "integrations",
    "wizard",
    "commerce",
    "api",
    "ops",
]

MIDDLEWARE = [
    # Before all: /healthz and /readyz for the platform, by any host name and over plain HTTP (config/health.py).
    "config.health.ProbeMiddleware",
    # Then: its duration covers every other middleware, and its request id is on every line logged after it.
    "config.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tenants.locale.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenants.middleware.TenantMiddleware",
    # Last: turns a login refused for too many failures into the login page that says so.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.tenant",
                "integrations.context_processors.connection_health",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file in the embedded run: wait for the write lock
    # instead of failing, and let readers proceed while one process writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "tenants.User"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failed logins for one account, or from one
# address, that account or address is refused for LOGIN_LOCKOUT_MINUTES; a good login clears the account's count.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "tenants.login.attempted_email"
AXES_LOCKOUT_CALLABLE = "tenants.login.locked_out"
# Reverse proxies in front of the web server; without the right count, every login would seem to come from
# the proxy, and five failures anywhere would lock everyone out.
LOGIN_TRUSTED_PROXIES = env.int("LOGIN_TRUSTED_PROXIES", default=0)
AXES_CLIENT_IP_CALLABLE = "tenants.login.client_ip"
AXES_RESET_ON_SUCCESS = True
# The failures are what throttling needs; a row per good login would only grow.
AXES_DISABLE_ACCESS_LOG = True
# Its admin pages list every company's login e-mails; an operator unlocks with `manage.py axes_reset_username`.
AXES_ENABLE_ADMIN = False
# Error reports hide secrets by the variable's name in every frame, not only where a view is marked.
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.error_reports.SecretsReporterFilter"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", "Norsk bokmål"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The image collects static files at build into its own read-only folder (STATIC_ROOT=/app/staticfiles).
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploaded and generated files (invoice PDFs). Never served as static files: a view checks who asks.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# HTTPS in production. Behind a proxy that ends TLS, set SECURE_PROXY_SSL_HEADER to the header it sets
# (usually HTTP_X_FORWARDED_PROTO) — only if the proxy overwrites that header on every request, or a client
# could claim HTTPS. The probes are answered over plain HTTP (config.health.ProbeMiddleware).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
if env.str("SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = (env.str("SECURE_PROXY_SSL_HEADER"), "https")
# Browsers keep to HTTPS for this long once they have seen the header; start low (e.g. 300) on a new domain.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# The header only allows the domain onto the browsers' preload list; someone still has to submit it there.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)

# One process in the embedded run; in production point it at Redis so every web process counts the
# API's requests per key together.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# The REST API (api/). Views set their own authentication, permissions and throttling (api.base).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Requests per API key: a number, "/", and s, min, hour or day.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/min")
# Hours an answer to a POST with an Idempotency-Key is kept for a repeat of it.
API_IDEMPOTENCY_HOURS = env.int("API_IDEMPOTENCY_HOURS", default=24)
SPECTACULAR_SETTINGS = {
    "TITLE": "GrønnJobb ⇄ Tripletex API",
    "DESCRIPTION": (
        "A company's HR and time data, its Tripletex connection and sync logs, for business systems and "
        "scripts. Send `Authorization: Api-Key <key>`; a key sees only its own company."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Request and response bodies as separate components: read-only fields are not asked of a client.
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.blank_allowed_as_any_of"],
    "ENUM_NAME_OVERRIDES": {
        "ConnectionStateEnum": "integrations.models.Connection.State",
        "HourTransferStateEnum": "integrations.models.HourTransfer.State",
    },
    # The docs page's scripts are served from here, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: the embedded default is kombu's filesystem transport, one folder for in and out.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # Seconds a worker waits before looking at the folder again when it found it empty. Kombu's default
        # (1 s) is paid by every task that queues its successor (the hours push, a batch at a time), which
        # made a big backlog go at one task a second; looking costs one directory listing.
        "polling_interval": env.float("CELERY_BROKER_POLLING_INTERVAL", default=0.1),
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Three queues (which task goes where: config/celery_app.py). A worker started without -Q takes all three, as
# the embedded run's does; production gives hours a worker of their own (docker-compose.yml), so a big
# connector sync never delays approved hours. Deployments (or test runs) sharing a broker give each their own names.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="default")
HOURS_QUEUE = env.str("HOURS_QUEUE", default="hours")
CONNECTORS_QUEUE = env.str("CONNECTORS_QUEUE", default="connectors")
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name)
    for name in dict.fromkeys([CELERY_TASK_DEFAULT_QUEUE, HOURS_QUEUE, CONNECTORS_QUEUE])
]
CELERY_TASK_ROUTES = ("config.celery_app.route_task",)
# Seconds between the sweeps that send what was left behind (the broker lost a task, a worker died).
SWEEP_SECONDS = env.float("SWEEP_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    # Approved hours left behind (broker down at commit, a worker killed mid-batch) go within a minute.
    "hours-sweep": {"task": "integrations.tasks.sweep_hours", "schedule": SWEEP_SECONDS},
    # Hours Tripletex refused as locked go once someone opens the period there (looked at every HOURS_LOCKED_RECHECK).
    "hours-locked-recheck": {"task": "integrations.tasks.recheck_locked_hours_all", "schedule": 900.0},
    # Local changes of master data left behind, or due for a retry, go within a minute.
    "local-changes-sweep": {"task": "integrations.tasks.sweep_local_changes", "schedule": SWEEP_SECONDS},
    # Each company's nightly reconcile (or "Endret i Tripletex") at its own time between 01:00 and 05:00.
    "nightly-reconcile": {"task": "integrations.tasks.nightly_reconcile", "schedule": 600.0},
    # Connectors that run at the interval the admin picked (the customer import: every 15 minutes by default).
    "interval-runs": {"task": "integrations.tasks.interval_runs", "schedule": 60.0},
    # A wizard left half-way keeps an encrypted API key; it should not lie there for ever.
    "wizard-expire-drafts": {"task": "wizard.tasks.wizard_expire_drafts", "schedule": 3600.0},
    # Tripletex disables a webhook subscription after too many failed deliveries: switch it back on, and
    # have the connector fetch what it missed. Also queues again deliveries the broker lost.
    "webhook-subscriptions-check": {"task": "integrations.tasks.webhook_subscriptions_check_all", "schedule": 900.0},
    # The sync log is for "why did this not come over?", not an archive: old records go at night.
    "sync-log-prune": {"task": "integrations.tasks.prune_sync_log", "schedule": crontab(hour=3, minute=30)},
    # Answers kept for the API's Idempotency-Key are of no use once expired.
    "api-idempotency-prune": {"task": "api.tasks.prune_idempotency_keys", "schedule": crontab(hour=3, minute=45)},
}
# Days the Synkroniseringslogg keeps its records (and the runs they leave empty).
SYNC_LOG_DAYS = env.int("SYNC_LOG_DAYS", default=90)
if SYNC_LOG_DAYS < 1:
    raise ImproperlyConfigured("SYNC_LOG_DAYS must be at least 1, or the nightly prune empties the log")
# Days an abandoned activation wizard is kept before its draft (and the key in it) is deleted.
WIZARD_DRAFT_DAYS = env.int("WIZARD_DRAFT_DAYS", default=7)
CELERY_TIMEZONE = TIME_ZONE

# Where each Tripletex company's rate budget lives, shared by every worker: a Redis URL, or "database".
RATE_BUDGET_URL = env.str(
    "RATE_BUDGET_URL",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "database",
)

# Tripletex
TRIPLETEX_BASE_URL = env.str("TRIPLETEX_BASE_URL", default="http://127.0.0.1:8765/v2")
TRIPLETEX_CONSUMER_TOKEN = env.str("TRIPLETEX_CONSUMER_TOKEN", default="")
TRIPLETEX_CONNECT_TIMEOUT = env.float("TRIPLETEX_CONNECT_TIMEOUT", default=5.0)
TRIPLETEX_READ_TIMEOUT = env.float("TRIPLETEX_READ_TIMEOUT", default=30.0)
# Where Tripletex reaches us: webhook subscriptions point at SITE_URL + /webhooks/tripletex/<key>/.
# Tripletex posts only to a public HTTPS address; without one the connectors' reconcile still brings changes.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# The application name our consumer token belongs to; admins must type it exactly in Tripletex.
TRIPLETEX_APPLICATION_NAME = "GrønnJobb"
# Calls of each rate-limit window left to the company's own users and other integrations; also what
# absorbs the calls in flight when several workers share a budget, so keep it above their number.
TRIPLETEX_RATE_LIMIT_HEADROOM = env.int("TRIPLETEX_RATE_LIMIT_HEADROOM", default=10)

# Approved hours to Tripletex (integrations/hours).
# Tripletex documents no maximum for POST/PUT /timesheet/entry/list. 200 keeps one call well inside the
# 30 s read timeout (Tripletex validates every entry), keeps the blast radius of its all-or-nothing
# answer small (one refused entry costs about log2(200) ≈ 8 extra calls to find), and at the observed
# ~100 calls per 10 s still moves ~2,000 entries a second per company — more than anyone approves.
HOURS_BATCH_SIZE = env.int("HOURS_BATCH_SIZE", default=200)
# Batches one task sends before it queues itself again, so a company with a month of hours waits behind
# the other companies' tasks instead of holding a worker.
HOURS_BATCHES_PER_TASK = env.int("HOURS_BATCHES_PER_TASK", default=5)
# Failed sends of a row before it stops at "feilet" for the admin to retry by hand.
HOURS_MAX_ATTEMPTS = env.int("HOURS_MAX_ATTEMPTS", default=8)
# Seconds before the first retry of a failed send, doubled per attempt up to 30 minutes.
HOURS_RETRY_BACKOFF = env.float("HOURS_RETRY_BACKOFF", default=10.0)
# A claim older than this belongs to a worker that died; the sweep puts its rows back. Longer than any
# honest batch: the read timeout (30 s) times the splits of one refused batch.
HOURS_CLAIM_TIMEOUT = env.int("HOURS_CLAIM_TIMEOUT", default=300)
# Longest the client may sleep on Tripletex's rate limit inside a push task; beyond it the task gives the
# worker back and is rescheduled after the reset.
HOURS_RATE_LIMIT_WAIT = env.float("HOURS_RATE_LIMIT_WAIT", default=2.0)
# Seconds between looks at a period Tripletex has locked (one month-status read per month with locked hours):
# once someone opens it there, its hours go without the admin pressing anything.
HOURS_LOCKED_RECHECK = env.int("HOURS_LOCKED_RECHECK", default=3 * 3600)

# The connectors' outbox of local changes: seconds before the first retry of a failed send (doubled per
# attempt up to 30 minutes), and the age of a claim that belongs to a worker that died.
CONNECTOR_RETRY_BACKOFF = env.float("CONNECTOR_RETRY_BACKOFF", default=10.0)
CONNECTOR_CLAIM_TIMEOUT = env.int("CONNECTOR_CLAIM_TIMEOUT", default=300)

# E-mail (an admin is told once when Tripletex stops taking the company's key). The embedded run prints mails
# to the console; production sets e.g. EMAIL_URL=smtp+tls://user:password@smtp.example.no:587.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="GrønnJobb <ikke-svar@gronnjobb.no>")

# Logs go to standard error: JSON lines in production (LOG_FORMAT=json), plain lines in the embedded run.
# One line per request and per task (config/logs.py), each with request_id, tenant and duration_ms.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be plain or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "config.logs.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["levelname", "name", "message"],
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
            # Django's request logger passes the request object itself, whose text holds the query string.
            "reserved_attrs": [*RESERVED_LOG_ATTRS, "request"],
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# Workers log through the configuration above (JSON in production) instead of Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
