"""Test settings: the production settings with PostgreSQL, Redis and the in-memory SMS backend."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-for-the-checks-0123456789")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault(
    "DATABASE_URL",
    os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/impfportal"),
)
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("SMS_BACKEND", "sms.backends.memory.MemoryBackend")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# With DEBUG off the system checks refuse a PORTAL_URL on localhost (makemigrations runs them).
os.environ.setdefault("PORTAL_URL", "https://impfportal.test")
# Pages show every change at once in tests; tests/centers/test_start_page_cache.py
# switches the start page's cache on.
os.environ.setdefault("START_PAGE_CACHE_SECONDS", "0")
# A test's rolled-back openings must not outlive it: read them on every request
# (tests/booking/test_eligibility_cache.py switches the cache on).
os.environ.setdefault("ELIGIBILITY_CACHE_SECONDS", "0")
# Postal codes' districts too (tests/centers/test_district_cache.py switches it on).
os.environ.setdefault("DISTRICT_CACHE_SECONDS", "0")
# The time page's free times fresh on every request too
# (tests/booking/test_time_page_cache.py switches the copy on).
os.environ.setdefault("TIME_PAGE_CACHE_SECONDS", "0")

# Opening rows of one test must not be served to the next from a process cache.
os.environ.setdefault("WAITINGROOM_OPENING_CACHE_SECONDS", "0")
# Nothing sends the test outbox, so its codes only age: the room's controller would
# slow admissions down in every long test. Its own tests run its steps directly.
os.environ.setdefault("WAITINGROOM_ADAPTIVE", "false")
# Tests make new sessions far faster and more of them than residents arrive
# (hypothesis: hundreds a second, thousands per test); the room's own tests
# (tests/waitingroom) set the rate and the capacity they test.
os.environ.setdefault("WAITINGROOM_RATE_MAX", "100000")
os.environ.setdefault("WAITINGROOM_CAPACITY", "1000000")
# Tests that take Redis away leave the room's breaker open for a few seconds; the
# next tests then pass the room's fail-safe, which must not queue them either.
os.environ.setdefault("WAITINGROOM_FALLBACK_PER_SECOND", "100000")

# Staff tests log in with a password only; tests/security/test_staff_second_factor.py
# switches the second factor on.
os.environ.setdefault("STAFF_REQUIRE_2FA", "false")

from impfportal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Each test process gets its own Redis key space, so that parallel runs (xdist
# workers, several checkouts) never clear each other's sessions or counters.
CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"  # noqa: F405
# Serve static files from the app folders, as in development; no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
