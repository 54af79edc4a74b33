"""Settings for every environment, read from environment variables.

The defaults are the safe production ones (DEBUG off, secure cookies, HSTS);
the quick start (``make run``) and the test suite switch them explicitly.
See README.md for the variables.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from dj_database_url import DBConfig
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from impfportal.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-never-use-in-production")
else:
    SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "impfportal",
    "limits",
    "staff_auth",
    "sms",
    "centers",
    "booking",
    "waitlist",
    "reminders",
    "standby",
    "door",
    "stats",
    "privacy",
    "hotline",
    "waitingroom",
    "draw",
]

MIDDLEWARE = [
    # Operations (issue 21): a request id for every log line, then /healthz,
    # /readyz and /metrics before any redirect, host check or session, then
    # the request counters (impfportal/health.py, impfportal/metrics.py).
    "impfportal.request_id.RequestIdMiddleware",
    "impfportal.health.OpsEndpointsMiddleware",
    "impfportal.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(); then staff who need a second factor must have used it.
    "django_otp.middleware.OTPMiddleware",
    "staff_auth.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute session limits; no-store on personal pages (after messages).
    "impfportal.middleware.SessionTimeoutMiddleware",
    "impfportal.middleware.NoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # In front of the costly pages only (waitingroom/gate.py); after the session timeout.
    "waitingroom.gate.WaitingRoomMiddleware",
]

ROOT_URLCONF = "impfportal.urls"
WSGI_APPLICATION = "impfportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The quick start's web process and six workers write to one file. A deferred
    # transaction that reads first cannot wait for the write lock ("database is
    # locked" at once, as the purge got at `make run`'s start): take it at BEGIN and
    # wait for it; in WAL mode readers never wait for the writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

# --- Scaling out (issue 22; docs/scaling.md, scripts/cluster.py) -------------
# Behind PgBouncer in transaction mode a server connection belongs to a client
# for one transaction only: no server-side cursors (they would outlive it), no
# session state (the SMS dispatcher's SET is left out). Django's psycopg
# backend prepares no statements by default, which PgBouncer < 1.21 needs.
DB_TRANSACTION_POOLING = env_bool("DB_TRANSACTION_POOLING", default=False)
if DB_TRANSACTION_POOLING:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# Django's own pool (psycopg_pool, one per process) instead of CONN_MAX_AGE; 0: off.
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 0)
if DB_POOL_MAX_SIZE:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_MAX_SIZE,
    }
# Server-side binding with prepared statements: PostgreSQL gets a query's text and
# its values apart, and psycopg prepares a statement the DB_PREPARE_THRESHOLD-th
# time a connection runs it, so the booking flow's queries are planned once per
# connection instead of on every request (planning was three quarters of their
# database CPU: bench/README.md, "ninth session"). Behind PgBouncer < 1.21 in
# transaction mode a prepared statement could be looked for on another server
# connection: there the values are still bound on the server, nothing is prepared.
DB_PREPARE_THRESHOLD = env_int("DB_PREPARE_THRESHOLD", 5)


def bind_on_server(database: DBConfig) -> None:
    """Bind on the server, and prepare where the pooler allows it (PostgreSQL only)."""
    if database["ENGINE"] != "django.db.backends.postgresql":
        return
    prepare = None if DB_TRANSACTION_POOLING else DB_PREPARE_THRESHOLD
    options = database.setdefault("OPTIONS", {})
    options.update({"server_side_binding": True, "prepare_threshold": prepare})


bind_on_server(DATABASES["default"])
# A streaming replica for the pages that tolerate seconds of lag (statistics,
# public availability); impfportal/db_router.py. Unset: everything reads the primary.
REPLICA_DATABASE_URL = env_str("REPLICA_DATABASE_URL", "")
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 10)
REPLICA_CHECK_SECONDS = env_int("REPLICA_CHECK_SECONDS", 2)
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = dj_database_url.parse(
        REPLICA_DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    # A replica that hangs must not hold a page: the router falls back instead.
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = 2
    bind_on_server(DATABASES["replica"])
    # Tests read the one test database through both names.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["impfportal.db_router.ReplicaRouter"]

# Redis is the shared cache (sessions, rate limits) whenever more than one
# process serves requests. The quick start runs a single web process and uses
# the local-memory cache instead, so that it needs nothing but Python.
REDIS_URL = env_str("REDIS_URL", "")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "impfportal"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Public HTML that every visitor shares (the start page's list of centers), kept
# in each process's own memory: no round trip at all, and nothing another node
# would need (each renders its own copy once per START_PAGE_CACHE_SECONDS).
CACHES["pages"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"}

# Sessions live on the server (not in signed cookies) so that verification can
# rotate them and logging out really ends them. Django's cached_db, with a
# cheaper write of an existing session (impfportal/sessions.py).
SESSION_ENGINE = "impfportal.sessions"
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Named date formats per language (WEEKDAY_DATE_FORMAT, …): templates use the names.
FORMAT_MODULE_PATH = ["impfportal.formats"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "admin:login"

# --- Security (production defaults; the quick start sets DEBUG=true) -------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", default=False) else None
)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = 0 if DEBUG else 365 * 24 * 60 * 60
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Reverse proxies whose X-Forwarded-For we believe (exact addresses). Empty:
# the client address is REMOTE_ADDR. See limits/client_address.py.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])

# --- Sessions, rate limits, Redis outages (issue 8; docs/security.md) ------
# "__Host-" cookies are refused by browsers unless Secure, Path=/ and without
# Domain, so no other host of the domain can set or overwrite them. The quick
# start serves plain http and keeps the ordinary names.
SESSION_COOKIE_NAME = "sessionid" if DEBUG else "__Host-sessionid"
CSRF_COOKIE_NAME = "csrftoken" if DEBUG else "__Host-csrftoken"
LANGUAGE_COOKIE_NAME = "django_language" if DEBUG else "__Host-language"
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Messages ("cancelled", "logged out") live in the session, not in a cookie of their own.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# Enforced by impfportal.middleware.SessionTimeoutMiddleware. Staff sessions
# open personal data of a whole center, so they end sooner.
RESIDENT_SESSION_IDLE_SECONDS = 30 * 60
RESIDENT_SESSION_MAX_SECONDS = 12 * 60 * 60
STAFF_SESSION_IDLE_SECONDS = 15 * 60
STAFF_SESSION_MAX_SECONDS = 8 * 60 * 60
# A stale form (the CSRF cookie is gone) gets a plain page, not Django's.
CSRF_FAILURE_VIEW = "impfportal.views.csrf_failure"
if REDIS_URL:
    CACHES["default"]["OPTIONS"] = {
        # Redis down or hung must not take the pages down: sessions fall back
        # to the database (cached_db) and rate limits decide per action
        # (limits/ratelimits.py) instead of every request raising.
        "IGNORE_EXCEPTIONS": True,
        "SOCKET_CONNECT_TIMEOUT": 0.5,
        "SOCKET_TIMEOUT": 0.5,
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# Posts per phone number, per client address and in total, for each action
# ("10/10m" is 10 per ten minutes; None is off; limits/ratelimits.py).
# Many old people share one address (a care home, a mobile network's NAT),
# so the address limits are generous; the global ceilings lie above the
# busiest morning of 2021 and only stop a flood. Sending codes has its own
# limits (sms app).
RATE_LIMITS = {
    "code_check": {"number": "10/10m", "address": "200/10m", "global": "12000/m"},
    "booking": {"number": "30/h", "address": "300/10m", "global": "12000/m"},
    "cancel": {"number": "10/h", "address": "100/10m", "global": "3000/m"},
    # The hotline's console, counted per agent ("number" is the agent's account).
    "hotline_search": {"number": "60/10m", "global": "20000/m"},
    "hotline_identity": {"number": "30/10m"},
    "hotline_action": {"number": "120/10m"},
}

# --- Hotline ---------------------------------------------------------------------
# After the caller's identity check an agent may act for the household this long.
HOTLINE_GRANT_MINUTES = env_int("HOTLINE_GRANT_MINUTES", 15)
# Failed booking-code checks per agent and household before only a code helps.
HOTLINE_IDENTITY_TRIES = env_int("HOTLINE_IDENTITY_TRIES", 3)
# The voice line (hotline/voice): the public address Twilio calls our webhooks
# at, exactly as configured at Twilio (requests are signed over it); empty:
# the voice line is off and offer calls only read their text.
HOTLINE_VOICE_BASE_URL = env_str("HOTLINE_VOICE_BASE_URL", "").rstrip("/")
# Where "0: speak to an agent" and the third wrong entry put callers through;
# empty: they hear the hotline's number and a goodbye.
HOTLINE_AGENT_NUMBER = env_str("HOTLINE_AGENT_NUMBER", "")
# A German voice that reads SSML (slow speech); Twilio's Amazon Polly voices do.
HOTLINE_VOICE_NAME = env_str("HOTLINE_VOICE_NAME", "Polly.Vicki")
# Wrong or missing entries per question before the agent or a goodbye.
HOTLINE_VOICE_TRIES = env_int("HOTLINE_VOICE_TRIES", 3)

# One JSON object per line; phone numbers and codes masked (impfportal/logs.py).
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_numbers": {"()": "impfportal.logs.MaskNumbers"}},
    "formatters": {"json": {"()": "impfportal.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["mask_numbers"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- SMS and voice ----------------------------------------------------------
SMS_BACKEND = env_str("SMS_BACKEND", "sms.backends.console.ConsoleBackend" if DEBUG else None)
# Only numbers of this country are served (protection against SMS pumping).
PHONE_REGION = env_str("PHONE_REGION", "DE")

# --- Start page ---------------------------------------------------------------
# The unfiltered list of centers is the same for every visitor: its HTML is kept
# in each process's "pages" cache for this many seconds (0: not kept), so that
# the morning's crowd costs one query per process and interval instead of one per
# visitor. A center's state may show that much late; the booking pages always
# read the live seats. The waiting list's choice of scope keeps the centers'
# states (per set of vaccines) as long (``centers.selectors.centers_with_states``).
START_PAGE_CACHE_SECONDS = env_int("START_PAGE_CACHE_SECONDS", 10)

# --- Portal rules -----------------------------------------------------------
VERIFICATION_CODE_TTL_SECONDS = 10 * 60
VERIFICATION_MAX_WRONG_TRIES = 5
# How many codes one number may request per hour, and how long it must wait
# between two requests.
VERIFICATION_CODES_PER_HOUR = env_int("VERIFICATION_CODES_PER_HOUR", 5)
VERIFICATION_RESEND_SECONDS = env_int("VERIFICATION_RESEND_SECONDS", 30)
# Cancelling needs a code entered no longer ago than this.
CANCEL_VERIFICATION_MAX_AGE_SECONDS = 10 * 60
HOUSEHOLD_LIMIT = env_int("HOUSEHOLD_LIMIT", 2)
# The second dose is booked at the vaccine's interval plus at most this many days.
SECOND_DOSE_TOLERANCE_DAYS = env_int("SECOND_DOSE_TOLERANCE_DAYS", 7)
# The state whose public holidays a release leaves out unless staff confirm them
# (ISO 3166-2 subdivision of Germany, as the ``holidays`` package names them).
PUBLIC_HOLIDAYS_SUBDIVISION = env_str("PUBLIC_HOLIDAYS_SUBDIVISION", "NI")
# Each process keeps the priority groups and vaccine openings this long (0: read
# them on every request); a change made elsewhere shows this much late.
ELIGIBILITY_CACHE_SECONDS = env_int("ELIGIBILITY_CACHE_SECONDS", 5)
# Each process keeps which district a postal code belongs to this long (0: ask
# the database every time); a change made elsewhere shows this much late.
DISTRICT_CACHE_SECONDS = env_int("DISTRICT_CACHE_SECONDS", 30)
# Each process shows a center-day's free times (and their rendered list) from a
# copy this young (0: read them on every request); the booking reads fresh.
TIME_PAGE_CACHE_SECONDS = env_int("TIME_PAGE_CACHE_SECONDS", 1)
# How long a booking transaction may wait for a row lock before it answers
# "busy, please try again" instead of piling up behind a hot slot.
BOOKING_LOCK_TIMEOUT_MS = env_int("BOOKING_LOCK_TIMEOUT_MS", 3000)

# --- Statistics (stats app) ---------------------------------------------------
# Users of this group (and superusers) see the ministry's statistics.
STATS_GROUP = env_str("STATS_GROUP", "ministry")
# Rows each daily figure is spread over, so that simultaneous bookings at one
# center do not queue on one row lock (see stats/counters.py).
STATS_COUNTER_SHARDS = env_int("STATS_COUNTER_SHARDS", 32)
# "Share of the 80+ group": people at least this old on the day of booking.
STATS_OLD_AGE = 80
# How long the public availability summary is served from the cache.
STATS_AVAILABILITY_CACHE_SECONDS = env_int("STATS_AVAILABILITY_CACHE_SECONDS", 30)

# --- Waiting list and exchange (waitlist app) ------------------------------
# The portal's public address, for the links in text messages (offers).
PORTAL_URL = env_str("PORTAL_URL", "http://127.0.0.1:8000").rstrip("/")
# How long an offer is held, by how far ahead the first appointment is: the
# first row whose distance the appointment reaches wins. Never below the minimum.
WAITLIST_HOLD_WINDOWS = [
    (timedelta(days=3), timedelta(hours=12)),
    (timedelta(days=1), timedelta(hours=3)),
    (timedelta(hours=6), timedelta(hours=1)),
    (timedelta(0), timedelta(minutes=30)),
]
WAITLIST_MIN_HOLD = timedelta(minutes=env_int("WAITLIST_MIN_HOLD_MINUTES", 30))
# A seat is offered only if its appointment starts at least this much later:
# time to answer (the minimum hold) and to get there.
WAITLIST_MIN_NOTICE = timedelta(minutes=env_int("WAITLIST_MIN_NOTICE_MINUTES", 90))
# An entry that let this many offers pass unanswered is paused until re-activated.
WAITLIST_PAUSE_AFTER_MISSED = env_int("WAITLIST_PAUSE_AFTER_MISSED", 2)
# The safety-net sweep (manage.py waitlist_sweep) runs this often.
WAITLIST_SWEEP_SECONDS = env_int("WAITLIST_SWEEP_SECONDS", 5)
# Freed seats of up to this many slots are offered inside the transaction that
# freed them; more (e.g. a bulk release by staff) go to a background task.
WAITLIST_INLINE_SLOTS = env_int("WAITLIST_INLINE_SLOTS", 20)

# A background task RUNNING longer than this is handed back to the queue (its
# worker died); tasks are safe to run twice (impfportal/task_leases.py).
TASK_LEASE_SECONDS = env_int("TASK_LEASE_SECONDS", 300)

# --- SMS dispatch, Twilio and limits on sending codes (see README) ----------
# SMS_BACKEND above selects the provider: sms.backends.twilio.TwilioBackend in production.
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
# SMS sender: a number, an alphanumeric sender ID or a messaging service SID (MG…).
TWILIO_SMS_FROM = env_str("TWILIO_SMS_FROM", "")
# The number that calls landlines and reads their code out.
TWILIO_VOICE_FROM = env_str("TWILIO_VOICE_FROM", "")
# The SDK waits forever by default; a hanging request would hold a sending
# thread. Well below the web server's 30 s (no web request waits for Twilio).
TWILIO_TIMEOUT_SECONDS = env_int("TWILIO_TIMEOUT_SECONDS", 5)
# Public URL of sms:status_callback (e.g. https://impfportal.example/sms/status/);
# empty: no delivery reports are asked for, and every callback is refused.
TWILIO_STATUS_CALLBACK_URL = env_str("TWILIO_STATUS_CALLBACK_URL", "")
# Only for tests and the benchmark (the fake Twilio server); empty: api.twilio.com.
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL", "")
# Per dispatcher process: messages handed to the provider at once, most claimed at once.
SMS_POOL_SIZE = env_int("SMS_POOL_SIZE", 16)
SMS_BATCH_SIZE = env_int("SMS_BATCH_SIZE", 100)
SMS_IDLE_INTERVAL_SECONDS = env_int("SMS_IDLE_INTERVAL_MS", 250) / 1000
# The provider's rate per sender, for all dispatchers together (0: no cap).
SMS_RATE_PER_SECOND = env_int("SMS_RATE_PER_SECOND", 100)
VOICE_CALLS_PER_SECOND = env_int("VOICE_CALLS_PER_SECOND", 1)
# How many dispatchers run: each takes this share of the rate while Redis is unreachable.
SMS_DISPATCHER_PROCESSES = env_int("SMS_DISPATCHER_PROCESSES", 1)
# A claimed row returns to the queue this long after its dispatcher died.
SMS_LEASE_SECONDS = env_int("SMS_LEASE_SECONDS", 60)
SMS_MAX_ATTEMPTS = env_int("SMS_MAX_ATTEMPTS", 8)
SMS_RETRY_BASE_SECONDS = env_int("SMS_RETRY_BASE_SECONDS", 2)
SMS_RETRY_MAX_SECONDS = env_int("SMS_RETRY_MAX_SECONDS", 300)
# Sending codes (sms.limits): per client address, per number, for everyone.
SMS_CODES_PER_ADDRESS_PER_HOUR = env_int("SMS_CODES_PER_ADDRESS_PER_HOUR", 30)
SMS_CODES_PER_NUMBER_PER_DAY = env_int("SMS_CODES_PER_NUMBER_PER_DAY", 10)
SMS_CODES_PER_HOUR = env_int("SMS_CODES_PER_HOUR", 100_000)
# The SDK logs every request at INFO; we log each message ourselves (masked).
LOGGING["loggers"] = {**LOGGING.get("loggers", {}), "twilio": {"level": "WARNING"}}

# Deletion by purpose (privacy/retention.py): how long personal data stays after
# its purpose ended, and the hour (local time) of the daily purge.
RETENTION_DAYS = env_int("RETENTION_DAYS", 28)
RETENTION_MESSAGE_TEXT_HOURS = env_int("RETENTION_MESSAGE_TEXT_HOURS", 24)
RETENTION_VERIFICATION_HOURS = env_int("RETENTION_VERIFICATION_HOURS", 24)
RETENTION_TASK_RESULT_DAYS = env_int("RETENTION_TASK_RESULT_DAYS", 7)
PURGE_HOUR = env_int("PURGE_HOUR", 3)

# --- Counters that survive a Redis outage (limits app; docs/security.md) -----
# After Redis failed, each process counts in PostgreSQL for this long before trying Redis again.
LIMITS_REDIS_RETRY_SECONDS = env_int("LIMITS_REDIS_RETRY_SECONDS", 5)

# --- No lockout by strangers (sms.limits; docs/security.md) ------------------
# SMS_CODES_PER_NUMBER_PER_DAY and VERIFICATION_CODES_PER_HOUR count per number
# *and* client address, so requests from elsewhere cannot use up the owner's
# share; these ceilings count per number across all addresses (SMS pumping).
SMS_CODES_PER_NUMBER_CEILING_PER_DAY = env_int("SMS_CODES_PER_NUMBER_CEILING_PER_DAY", 30)
# Calls that read a code out, per number and day, across all addresses: the
# way in when the text messages' ceiling is reached.
SMS_CODE_CALLS_PER_NUMBER_PER_DAY = env_int("SMS_CODE_CALLS_PER_NUMBER_PER_DAY", 3)
# Named on the pages when a limit is reached: people can book by phone there.
HOTLINE_PHONE = env_str("HOTLINE_PHONE", "0800 9988665")

# --- Imprint, privacy notice, accessibility statement (impfportal/legal.py) ---
# Demo values: an operator must set its own. Shown on /imprint/, /privacy/ and
# /accessibility/ only, read there (the booking pages do not pay for them).
PORTAL_OPERATOR_NAME = env_str(
    "PORTAL_OPERATOR_NAME",
    "Niedersächsisches Ministerium für Soziales, Arbeit, Gesundheit und Gleichstellung",
)
PORTAL_OPERATOR_ADDRESS = env_str(
    "PORTAL_OPERATOR_ADDRESS", "Hannah-Arendt-Platz 2, 30159 Hannover"
)
PORTAL_OPERATOR_REPRESENTATIVE = env_str(
    "PORTAL_OPERATOR_REPRESENTATIVE", "vertreten durch die Ministerin"
)
PORTAL_OPERATOR_EMAIL = env_str("PORTAL_OPERATOR_EMAIL", "impfportal@ms.niedersachsen.de")
PRIVACY_OFFICER_EMAIL = env_str("PRIVACY_OFFICER_EMAIL", "datenschutz@ms.niedersachsen.de")
ACCESSIBILITY_CONTACT_EMAIL = env_str(
    "ACCESSIBILITY_CONTACT_EMAIL", "barrierefreiheit@ms.niedersachsen.de"
)

# --- Staff and ministry logins (staff_auth app; docs/security.md) -----------
# Failed password logins within one window of STAFF_LOGIN_WINDOW_MINUTES: per
# account and address, per address (any account), per account (any address).
STAFF_LOGIN_WINDOW_MINUTES = env_int("STAFF_LOGIN_WINDOW_MINUTES", 15)
STAFF_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = env_int(
    "STAFF_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", 5
)
STAFF_LOGIN_FAILURES_PER_ADDRESS = env_int("STAFF_LOGIN_FAILURES_PER_ADDRESS", 20)
STAFF_LOGIN_FAILURES_PER_ACCOUNT = env_int("STAFF_LOGIN_FAILURES_PER_ACCOUNT", 50)
# Accounts that see a center's personal data (and operators) must confirm
# their login with a TOTP app (staff_auth.policy). On in production.
STAFF_REQUIRE_2FA = env_bool("STAFF_REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = "Impfportal"

# --- The waiting room (waitingroom app; issue 16) -----------------------------
# Off: every guarded page is served at once, as before the room.
WAITINGROOM_ENABLED = env_bool("WAITINGROOM_ENABLED", default=True)
# Residents in the flow (code, booking, waiting list) at once; more wait in the queue.
WAITINGROOM_CAPACITY = env_int("WAITINGROOM_CAPACITY", 1000)
# The controller lowers the number in the flow with the rate when the booking core
# is overloaded (the residents inside keep the workers' backlog full otherwise), never
# below this, and lets it grow back slowly to WAITINGROOM_CAPACITY.
WAITINGROOM_CAPACITY_MIN = env_int("WAITINGROOM_CAPACITY_MIN", 20)
# Admissions per second: at most the SMS provider's rate (every admitted resident
# needs a code), at least the minimum; adapted in between (waitingroom/controller.py).
WAITINGROOM_RATE_MAX = env_int("WAITINGROOM_RATE_MAX", SMS_RATE_PER_SECOND or 100)
WAITINGROOM_RATE_MIN = env_int("WAITINGROOM_RATE_MIN", 2)
# Share of the maximum the rate grows by per control step while all is well.
WAITINGROOM_RATE_STEP = 0.05
# Seconds of the maximum rate that may be let in at once after a quiet spell.
WAITINGROOM_BURST_SECONDS = 1
WAITINGROOM_CONTROL_SECONDS = env_int("WAITINGROOM_CONTROL_SECONDS", 2)
# Off: the rate stays at the maximum and nothing is measured (the test suite, whose
# outbox is never sent, switches it off; tests/waitingroom/test_controller.py runs steps).
WAITINGROOM_ADAPTIVE = env_bool("WAITINGROOM_ADAPTIVE", default=True)
# The rate halves when the oldest queued code is older, or the booking posts' p95 slower.
# The p95 is the controller's aim; the residents' p99 runs above it at the top of the
# controller's cycle, so 750 ms keeps the p99 near the booking target of 1 s.
WAITINGROOM_CODE_AGE_LIMIT_SECONDS = env_int("WAITINGROOM_CODE_AGE_LIMIT_SECONDS", 10)
WAITINGROOM_BOOKING_P95_LIMIT_MS = env_int("WAITINGROOM_BOOKING_P95_LIMIT_MS", 750)
# A header the proxy in front sets to the moment it received the request ("t=<ms>",
# HAProxy: `http-request set-header X-Request-Start t=%Ts%ms`), so that the booking
# posts' times include the wait for a free worker. Empty: not read (a client could
# forge it; set it only behind a proxy that overwrites it).
WAITINGROOM_REQUEST_START_HEADER = env_str("WAITINGROOM_REQUEST_START_HEADER", "")
# A place in the queue is kept this long after the queue page was last loaded.
WAITINGROOM_GRACE_SECONDS = env_int("WAITINGROOM_GRACE_SECONDS", 5 * 60)
# A resident in the flow keeps their place this long after their last request;
# let in from the queue, they have WAITINGROOM_ARRIVAL_SECONDS to come back for it.
WAITINGROOM_ACTIVE_IDLE_SECONDS = env_int("WAITINGROOM_ACTIVE_IDLE_SECONDS", 5 * 60)
WAITINGROOM_ARRIVAL_SECONDS = env_int("WAITINGROOM_ARRIVAL_SECONDS", 60)
# Let in by the room's script this recently (and at most a quarter of the idle time
# ago), a resident's next guarded request goes on without asking it again.
WAITINGROOM_RECHECK_SECONDS = env_int("WAITINGROOM_RECHECK_SECONDS", 15)
# Before a scheduled opening, arrivals wait in the pre-queue from this many minutes before.
WAITINGROOM_PREQUEUE_MINUTES = env_int("WAITINGROOM_PREQUEUE_MINUTES", 60)
# Admissions per second and process while Redis cannot be reached (or is not configured).
WAITINGROOM_FALLBACK_PER_SECOND = env_int("WAITINGROOM_FALLBACK_PER_SECOND", 2)
# The queue page reloads itself this often (sooner near the front).
WAITINGROOM_REFRESH_SECONDS = env_int("WAITINGROOM_REFRESH_SECONDS", 20)
WAITINGROOM_OPENING_CACHE_SECONDS = env_int("WAITINGROOM_OPENING_CACHE_SECONDS", 5)

# --- Operations: health, metrics, request ids, error reports (issue 21) -----
# /readyz answers 503 when the oldest due message in the outbox has waited
# longer than this: no dispatcher runs, or the backlog outgrew the provider's
# rate (70,000 notices at 100/s take about 12 minutes).
READY_OUTBOX_MAX_AGE_SECONDS = env_int("READY_OUTBOX_MAX_AGE_SECONDS", 900)
# Prometheus sends "Authorization: Bearer <token>" to /metrics; unset: /metrics is off (404).
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
LOGGING["filters"]["request_id"] = {"()": "impfportal.request_id.RequestIdFilter"}
LOGGING["handlers"]["console"]["filters"].append("request_id")
# Errors go to Sentry (or a compatible service) when set, with personal data
# removed before they leave (impfportal/error_reports.py).
SENTRY_DSN = env_str("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
if SENTRY_DSN:
    from impfportal.error_reports import init_error_reports

    init_error_reports(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT)
