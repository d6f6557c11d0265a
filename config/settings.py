"""Opsroom settings: every value comes from the environment, with a working default.

The README's configuration table lists each variable; keep the two in step.
"""

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str) -> str:
    """Read a string, or the contents of the file named by NAME_FILE (for secrets)."""
    if f"{name}_FILE" in os.environ:
        return Path(os.environ[f"{name}_FILE"]).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in envstr(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)
DATA_DIR = Path(envstr("OPSROOM_DATA_DIR", str(BASE_DIR / "var")))


def _secret_key() -> str:
    key = envstr("SECRET_KEY", "")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off "
            "(or set SECRET_KEY_FILE to a file holding it)."
        )
    # In development the key is generated once and kept with the data, so sessions survive.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "opsroom.core",
    "opsroom.people",
    "opsroom.revenue",
    "opsroom.support",
    "opsroom.telemetry",
    "opsroom.experiments",
    "opsroom.messaging",
    "opsroom.analytics",
    "opsroom.user360",
    "opsroom.demo",
    "opsroom.ingest",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "opsroom.core.middleware.SessionLimitsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "opsroom.core.middleware.StaffRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "opsroom.core.middleware.DomainErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opsroom.core.context_processors.navigation",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    default_sqlite = f"sqlite:///{DATA_DIR / 'opsroom.sqlite3'}"
    config: dict[str, Any] = dict(
        dj_database_url.parse(envstr("DATABASE_URL", default_sqlite), conn_max_age=600)
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # Writers queue for the lock instead of failing; WAL lets readers run beside them.
            "timeout": envint("OPSROOM_SQLITE_TIMEOUT", 30),
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-64000;"
                "PRAGMA temp_store=MEMORY;"
            ),
        }
    else:
        config.setdefault("OPTIONS", {})
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": envstr("OPSROOM_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "assets"]
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Email: written to files under the data directory unless a real backend is configured.
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = envstr("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Opsroom <support@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A send must end well within the outbox lease (below), or another worker may take it over.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 60, minimum=1)

# Sessions and cookies. Staff sessions end after 12 hours, or 2 hours idle.
SESSION_COOKIE_AGE = envint("OPSROOM_SESSION_SECONDS", 12 * 3600)
OPSROOM_SESSION_IDLE_SECONDS = envint("OPSROOM_SESSION_IDLE_SECONDS", 2 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    if envbool("OPSROOM_BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Number of reverse proxies in front of Opsroom, to read the client IP for the audit log.
OPSROOM_TRUSTED_PROXIES = envint("OPSROOM_TRUSTED_PROXIES", 0)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Failed logins: after this many failures for one username (or 4x as many from one IP)
# within the window, further attempts are refused until the window passes.
OPSROOM_LOGIN_MAX_FAILURES = envint("OPSROOM_LOGIN_MAX_FAILURES", 5)
OPSROOM_LOGIN_WINDOW_SECONDS = envint("OPSROOM_LOGIN_WINDOW_SECONDS", 900)

# Money: the currency headline figures are shown in.
OPSROOM_CURRENCY = envstr("OPSROOM_CURRENCY", "usd").lower()
# Retention campaigns send no email in these UTC hours (start, end: 21-8 wraps midnight), and
# no person gets more than one campaign email in this many hours.
OPSROOM_CAMPAIGN_QUIET_HOURS = (
    envint("OPSROOM_CAMPAIGN_QUIET_START", 21),
    envint("OPSROOM_CAMPAIGN_QUIET_END", 8),
)
OPSROOM_CAMPAIGN_CAP_HOURS = envint("OPSROOM_CAMPAIGN_CAP_HOURS", 48)
# Whether past-due subscriptions still count towards MRR (Stripe's rule) until they end.
OPSROOM_MRR_INCLUDES_PAST_DUE = envbool("OPSROOM_MRR_INCLUDES_PAST_DUE", True)
# The revenue command center's debatable rules (docs/revenue.md): the person attribute that
# holds a customer's country, the days of churn history LTV divides by, and the complete
# months of marketing spend and new customers CAC is measured over.
# Point-in-time signals (opsroom.people.signals) about logins, the app's key action and
# attempts to cancel: the product events that count as each (comma-separated).
OPSROOM_SIGNAL_LOGIN_EVENTS = envlist("OPSROOM_SIGNAL_LOGIN_EVENTS", "login,app_open")
OPSROOM_SIGNAL_KEY_EVENTS = envlist("OPSROOM_SIGNAL_KEY_EVENTS", "meal_plan_created")
OPSROOM_SIGNAL_CANCEL_EVENTS = envlist(
    "OPSROOM_SIGNAL_CANCEL_EVENTS", "subscription_cancel_requested"
)
OPSROOM_REVENUE_COUNTRY_ATTRIBUTE = envstr("OPSROOM_REVENUE_COUNTRY_ATTRIBUTE", "country")
OPSROOM_REVENUE_LTV_CHURN_DAYS = envint("OPSROOM_REVENUE_LTV_CHURN_DAYS", 90, minimum=30)
OPSROOM_REVENUE_CAC_MONTHS = envint("OPSROOM_REVENUE_CAC_MONTHS", 3, minimum=1)
# Payment recovery: whether the payment provider retries failed payments and sends the dunning
# emails itself (Stripe's Smart Retries and emails: Opsroom then only observes and measures),
# or Opsroom owns both (retries through Stripe on its own schedule, emails through messaging).
OPSROOM_PAYMENT_RETRIES_BY_PROVIDER = envbool("OPSROOM_PAYMENT_RETRIES_BY_PROVIDER", True)
# How long a read-only link to the revenue forecast stays valid.
OPSROOM_REVENUE_SHARE_DAYS = envint("OPSROOM_REVENUE_SHARE_DAYS", 7, minimum=1)

# Request bodies. Pages and the API read at most this much (Django refuses more with a 400);
# the batch API and the webhooks read their own, larger bodies with their own limits below.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("OPSROOM_UPLOAD_MAX_BYTES", 2_621_440)
# Ingestion: the largest batch body accepted, and the secrets that webhooks are signed with.
# See docs/integrating.md.
OPSROOM_INGEST_MAX_BYTES = envint("OPSROOM_INGEST_MAX_BYTES", 32 * 1024 * 1024)
# The largest webhook body each endpoint reads (bigger ones are refused unread, with a 413).
OPSROOM_STRIPE_WEBHOOK_MAX_BYTES = envint("OPSROOM_STRIPE_WEBHOOK_MAX_BYTES", 1024 * 1024)
OPSROOM_SENTRY_WEBHOOK_MAX_BYTES = envint("OPSROOM_SENTRY_WEBHOOK_MAX_BYTES", 2 * 1024 * 1024)
OPSROOM_EMAIL_TRACKING_MAX_BYTES = envint("OPSROOM_EMAIL_TRACKING_MAX_BYTES", 2 * 1024 * 1024)
OPSROOM_EMAIL_INBOUND_MAX_BYTES = envint("OPSROOM_EMAIL_INBOUND_MAX_BYTES", 40 * 1024 * 1024)
# Refused (unsigned, too large) webhook calls: at most this many kept a minute per source,
# and only the newest this many per source.
OPSROOM_REFUSED_DELIVERIES_PER_MINUTE = envint("OPSROOM_REFUSED_DELIVERIES_PER_MINUTE", 20)
OPSROOM_REFUSED_DELIVERIES_KEPT = envint("OPSROOM_REFUSED_DELIVERIES_KEPT", 500)
STRIPE_WEBHOOK_SECRET = envstr("STRIPE_WEBHOOK_SECRET", "")
STRIPE_WEBHOOK_TOLERANCE = envint("STRIPE_WEBHOOK_TOLERANCE", 300)
STRIPE_USER_ID_METADATA_KEY = envstr("STRIPE_USER_ID_METADATA_KEY", "user_id")
SENTRY_CLIENT_SECRET = envstr("SENTRY_CLIENT_SECRET", "")
OPSROOM_EMAIL_ESP = envstr("OPSROOM_EMAIL_ESP", "").lower()
# django-anymail: webhook basic-auth credentials ("user:password"), ESP signing keys, and the
# ESP's sending credentials when EMAIL_BACKEND is an anymail backend. Unset ones stay unset.
ANYMAIL = {
    name: value
    for name, value in {
        "WEBHOOK_SECRET": envstr("ANYMAIL_WEBHOOK_SECRET", ""),
        "MAILGUN_WEBHOOK_SIGNING_KEY": envstr("MAILGUN_WEBHOOK_SIGNING_KEY", ""),
        "MAILGUN_API_KEY": envstr("MAILGUN_API_KEY", ""),
        "POSTMARK_SERVER_TOKEN": envstr("POSTMARK_SERVER_TOKEN", ""),
        "SENDGRID_API_KEY": envstr("SENDGRID_API_KEY", ""),
    }.items()
    if value
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("OPSROOM_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"level": "WARNING"},
    },
}

# An optional OpenAI-compatible language model (see opsroom/core/llm.py).
OPSROOM_LLM_BASE_URL = envstr("OPSROOM_LLM_BASE_URL", "")
OPSROOM_LLM_API_KEY = envstr("OPSROOM_LLM_API_KEY", "")
OPSROOM_LLM_MODEL = envstr("OPSROOM_LLM_MODEL", "")
OPSROOM_LLM_TIMEOUT = envint("OPSROOM_LLM_TIMEOUT", 20)

# The outbox (docs/operating.md, "Side effects"): emails and Stripe calls are written as
# intents in the transaction, performed by a task after commit, and retried with backoff.
OPSROOM_OUTBOX_MAX_ATTEMPTS = envint("OPSROOM_OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
OPSROOM_OUTBOX_BACKOFF_SECONDS = envint("OPSROOM_OUTBOX_BACKOFF_SECONDS", 30, minimum=0)
OPSROOM_OUTBOX_BACKOFF_MAX_SECONDS = envint("OPSROOM_OUTBOX_BACKOFF_MAX_SECONDS", 3600, minimum=0)
# A worker's claim on an entry; past it the worker is presumed dead and the entry is retried.
OPSROOM_OUTBOX_LEASE_SECONDS = envint("OPSROOM_OUTBOX_LEASE_SECONDS", 300, minimum=1)
# Perform in the process that committed, right after the commit, instead of in a worker.
OPSROOM_OUTBOX_INLINE = envbool("OPSROOM_OUTBOX_INLINE", False)

# Support routing (docs/support.md): triage assigns each new ticket to the least-loaded agent
# of its queue (billing specialists for money, support agents for the rest), never above
# this many open tickets each.
OPSROOM_SUPPORT_ROUTING = envbool("OPSROOM_SUPPORT_ROUTING", True)
OPSROOM_SUPPORT_AGENT_LIMIT = envint("OPSROOM_SUPPORT_AGENT_LIMIT", 25, minimum=1)

# Signed webhooks to the host app (docs/integrating.md, "Webhooks Opsroom sends"): password
# reset links, preference changes, flag changes. Off until a URL and a secret are set.
OPSROOM_HOST_WEBHOOK_URL = envstr("OPSROOM_HOST_WEBHOOK_URL", "")
OPSROOM_HOST_WEBHOOK_SECRET = envstr("OPSROOM_HOST_WEBHOOK_SECRET", "")
OPSROOM_HOST_WEBHOOK_TIMEOUT = envint("OPSROOM_HOST_WEBHOOK_TIMEOUT", 10, minimum=1)

# Analytics: alerts (anomalies, automatic rollbacks, AI budget) by email and signed webhook.
OPSROOM_ALERT_EMAILS = envlist("OPSROOM_ALERT_EMAILS", "")
# Where support escalations to engineering are emailed (none: they are recorded only).
OPSROOM_ENGINEERING_EMAILS = envlist("OPSROOM_ENGINEERING_EMAILS", "")
OPSROOM_ALERT_WEBHOOK_URL = envstr("OPSROOM_ALERT_WEBHOOK_URL", "")
OPSROOM_ALERT_WEBHOOK_SECRET = envstr("OPSROOM_ALERT_WEBHOOK_SECRET", "")
# AI cost: the currency AI usage is counted in (records in another currency are not summed).
OPSROOM_AI_CURRENCY = envstr("OPSROOM_AI_CURRENCY", "usd").lower()
# How long the host app may cache GET /api/v1/flags (seconds).
OPSROOM_FLAGS_MAX_AGE = envint("OPSROOM_FLAGS_MAX_AGE", 30, minimum=0)
# Request replay: the staging base URL replays go to (empty: replay is off), and its limits.
OPSROOM_REPLAY_BASE_URL = envstr("OPSROOM_REPLAY_BASE_URL", "")
OPSROOM_REPLAY_TIMEOUT = envint("OPSROOM_REPLAY_TIMEOUT", 10, minimum=1)
OPSROOM_REPLAY_PRODUCTION_HOSTS = envlist("OPSROOM_REPLAY_PRODUCTION_HOSTS", "")
OPSROOM_REPLAY_ALLOW_PRODUCTION = envbool("OPSROOM_REPLAY_ALLOW_PRODUCTION", False)

# Stripe API calls (complimentary subscriptions); off unless a key is set.
STRIPE_API_KEY = envstr("STRIPE_API_KEY", "")
STRIPE_API_BASE = envstr("STRIPE_API_BASE", "")  # only to point tests at a local server

# People (User 360): see docs/people.md and docs/impersonation.md.
OPSROOM_IMPERSONATION_SECRET = envstr("OPSROOM_IMPERSONATION_SECRET", "")
OPSROOM_IMPERSONATION_URL = envstr("OPSROOM_IMPERSONATION_URL", "")
OPSROOM_IMPERSONATION_AUDIENCE = envstr("OPSROOM_IMPERSONATION_AUDIENCE", "host-app")
OPSROOM_IMPERSONATION_MINUTES = envint("OPSROOM_IMPERSONATION_MINUTES", 15)
OPSROOM_IMPERSONATION_MAX_MINUTES = envint("OPSROOM_IMPERSONATION_MAX_MINUTES", 60)
# People whose email is at one of these domains are staff of the host app: never impersonated.
OPSROOM_STAFF_EMAIL_DOMAINS = envlist("OPSROOM_STAFF_EMAIL_DOMAINS", "")
OPSROOM_SENTRY_ISSUE_URL = envstr("OPSROOM_SENTRY_ISSUE_URL", "")
OPSROOM_SENTRY_USER_URL = envstr("OPSROOM_SENTRY_USER_URL", "")
OPSROOM_SESSION_REPLAY_URL = envstr("OPSROOM_SESSION_REPLAY_URL", "")
OPSROOM_BULK_MAX = envint("OPSROOM_BULK_MAX", 10000)
OPSROOM_HEALTH_HISTORY_DAYS = envint("OPSROOM_HEALTH_HISTORY_DAYS", 90)
