"""Browser tests: Debian's Chromium driven by Playwright against a live server in this process.

The live server runs in a thread of the test process, so the tests read the
verification code from the in-memory SMS backend, and they need committed data
(``transaction=True``). Playwright's sync API keeps an event loop running in
this thread, which Django's async-safety check would take for async code.
"""

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test.testcases import LiveServerThread

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"


class RequestLog:
    """WSGI wrapper that remembers which paths reached the server."""

    def __init__(self, app):
        self.app = app
        self.paths: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            self.paths.append(environ.get("PATH_INFO", ""))
        return self.app(environ, start_response)


class Server:
    """A live server whose static files come from WhiteNoise, as in production."""

    def __init__(self):
        self.log: RequestLog | None = None
        # Django only calls static_handler(app); the stubs ask for a handler class.
        self.thread = LiveServerThread(
            "127.0.0.1",
            static_handler=self._wrap,  # type: ignore[arg-type]
            port=0,
        )
        self.thread.daemon = True
        self.thread.start()
        self.thread.is_ready.wait()
        if self.thread.error:
            raise self.thread.error
        self.url = f"http://127.0.0.1:{self.thread.port}"

    def _wrap(self, app):
        self.log = RequestLog(app)
        return self.log

    def stop(self):
        self.thread.terminate()
        self.thread.join(timeout=10)


@pytest.fixture
def server(transactional_db, settings) -> Iterator[Server]:
    # Plain http on 127.0.0.1: cookies must not require https here.
    # Browsers refuse "__Host-" cookies without Secure, so use the plain names.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.LANGUAGE_COOKIE_SECURE = False
    settings.SESSION_COOKIE_NAME = "sessionid"
    settings.CSRF_COOKIE_NAME = "csrftoken"
    settings.LANGUAGE_COOKIE_NAME = "django_language"
    live = Server()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-browser.sh (make test does)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def open_page(chromium):
    """``open_page(mode)``: a fresh browser context (no cookies, no cache) set up for the mode."""
    contexts = []

    def open_page(mode):
        context = chromium.new_context(**mode.context_options())
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
