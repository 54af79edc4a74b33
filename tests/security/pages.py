"""Helpers for posting many generated inputs through the real pages quickly."""

import functools
import html
import re
from html.parser import HTMLParser

from django.db import connection
from django.test import Client
from django.utils import translation
from django.utils.translation import trans_real

from booking.models import Appointment, Household, Person, Series
from centers.models import Slot
from sms.models import Message, PhoneVerification

# Messages of this branch that the integrator translates at the merge; until
# then gettext gives them back in English, afterwards in German.
AWAITING_TRANSLATION = [
    "Please wait a moment",
    "Very many people are using the portal right now. Please wait a minute and then try again.",
    "This was tried very often in a short time. To protect your data, "
    "please wait a few minutes and then try again.",
    "Nothing has been changed. If it still does not work, our hotline will help you.",
    "Page not found",
    "This page does not exist, or it belongs to another phone number.",
    "Please reload the page",
    "This form was open for a long time or was sent again from the browser's history. "
    "To protect you, nothing has been sent.",
    "Please go back, reload the page and fill it in again.",
    "The request could not be read",
    "Something was wrong with what the browser sent. Nothing has been changed. "
    "Please go back and try again.",
]


class LeanClient(Client):
    """The test client without recording every template's context, which
    costs more than rendering the page; responses have no ``context``."""

    def request(self, **request):
        # Client.request without its template-context recording; _base_environ
        # is the private helper Django's own request() uses.
        environ = self._base_environ(**request)  # type: ignore[attr-defined]
        response = self.handler(environ)
        if response.cookies:
            self.cookies.update(response.cookies)
        return response


def database_state() -> tuple:
    """Counts and sums that any change by a form would move, in one query."""
    tables = {
        "verification": PhoneVerification._meta.db_table,
        "message": Message._meta.db_table,
        "household": Household._meta.db_table,
        "person": Person._meta.db_table,
        "series": Series._meta.db_table,
        "appointment": Appointment._meta.db_table,
        "slot": Slot._meta.db_table,
    }
    sql = """
        SELECT
          (SELECT count(*) FROM {verification}),
          (SELECT coalesce(sum(wrong_tries), 0) FROM {verification}),
          (SELECT count(*) FROM {verification} WHERE used_at IS NOT NULL),
          (SELECT count(*) FROM {message}),
          (SELECT count(*) FROM {household}),
          (SELECT count(*) FROM {person}),
          (SELECT count(*) FROM {series} WHERE status = 'active'),
          (SELECT count(*) FROM {series}),
          (SELECT count(*) FROM {appointment} WHERE status = 'booked'),
          (SELECT coalesce(sum(booked), 0) FROM {slot})
    """.format(**tables)  # noqa: S608 (table names from our own models)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


class DatabaseWatch:
    """The database state after the previous example, so that each example
    needs one state query, not two."""

    def __init__(self):
        self.last = database_state()

    def take(self) -> tuple:
        self.last = database_state()
        return self.last


@functools.cache
def _german_patterns() -> list[re.Pattern]:
    """Every German text of the catalogues (ours and Django's), with its
    placeholders as wildcards."""
    catalog = trans_real.translation("de")._catalog  # type: ignore[attr-defined]  # merged catalogue, no public API
    texts = [text for key, text in catalog.items() if key]
    with translation.override("de"):
        texts += [translation.gettext(msgid) for msgid in AWAITING_TRANSLATION]
    patterns = []
    for text in texts:
        pattern = re.escape(" ".join(text.split()))
        pattern = re.sub(r"%\\\([a-z_]+\\\)[sd]|%[sd]", ".*", pattern)
        patterns.append(re.compile(pattern, re.DOTALL))
    return patterns


@functools.lru_cache(maxsize=4096)
def is_german_message(text: str) -> bool:
    return any(pattern.fullmatch(text) for pattern in _german_patterns())


class _ErrorSummary(HTMLParser):
    """The texts (heading, paragraphs, list items) of a page's error summary."""

    BLOCKS = {"h1", "h2", "p", "li"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # >0 while inside the summary
        self.texts: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if self.depth:
            self.depth += tag == "div"
            if tag in self.BLOCKS:
                self._current = []
        elif tag == "div" and "error-summary" in classes:
            self.depth = 1

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag in self.BLOCKS and self._current is not None:
            text = " ".join("".join(self._current).split())
            if text:
                self.texts.append(text)
            self._current = None
        if tag == "div":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and self._current is not None:
            self._current.append(data)


def error_messages(page: str) -> list[str]:
    """The texts of the page's error summary (the parser follows its nested divs)."""
    parser = _ErrorSummary()
    parser.feed(page)
    return parser.texts


def assert_german_error_page(response) -> None:
    """The page is German and says in German, at the top, what was wrong."""
    page = response.content.decode()
    assert '<html lang="de">' in page
    messages = error_messages(page)
    assert messages, "no error summary on the page"
    for message in messages:
        assert is_german_message(html.unescape(message)), message
