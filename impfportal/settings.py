"""Settings for every environment, read from environment variables.

The defaults are the safe production ones (DEBUG off, secure cookies, HSTS);
the quick start (``make run``) and the test suite switch them explicitly.
See README.md for the variables.
"""

from pathlib import Path

import dj_database_url
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
    "impfportal",
    "sms",
    "centers",
    "booking",
    "waitlist",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

# Redis is the shared cache (sessions, rate limits) whenever more than one
# process serves requests. The quick start runs a single web process and uses
# the local-memory cache instead, so that it needs nothing but Python.
REDIS_URL = env_str("REDIS_URL", "")
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
# rotate them and logging out really ends them.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
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
# the client address is REMOTE_ADDR. See impfportal/client_address.py.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
RATELIMIT_IP_META_KEY = "impfportal.client_address.client_address"
RATELIMIT_USE_CACHE = "default"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- SMS and voice ----------------------------------------------------------
SMS_BACKEND = env_str("SMS_BACKEND", "sms.backends.console.ConsoleBackend" if DEBUG else None)
SMS_SENDER_ID = env_str("SMS_SENDER_ID", "Impfportal")
# Only numbers of this country are served (protection against SMS pumping).
PHONE_REGION = env_str("PHONE_REGION", "DE")

# --- Start page ---------------------------------------------------------------
# The unfiltered list of centers is the same for every visitor: its HTML is kept
# in each process's "pages" cache for this many seconds (0: not kept), so that
# the morning's crowd costs one query per process and interval instead of one per
# visitor. A center's state may show that much late; the booking pages always
# read the live seats.
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
# How long a booking transaction may wait for a row lock before it answers
# "busy, please try again" instead of piling up behind a hot slot.
BOOKING_LOCK_TIMEOUT_MS = env_int("BOOKING_LOCK_TIMEOUT_MS", 3000)
