"""The voice line finds a booking code by its keys with SQL ``translate()``;
the quick start runs on SQLite, which gets that function when it connects."""

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper

from hotline.codes import keypad_digits, keypad_translation, sql_translate


def _sqlite() -> DatabaseWrapper:
    return DatabaseWrapper(
        {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": ":memory:",
            "OPTIONS": {},
            "TIME_ZONE": None,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "AUTOCOMMIT": True,
            "ATOMIC_REQUESTS": False,
            "USER": "",
            "PASSWORD": "",
            "HOST": "",
            "PORT": "",
            "TEST": {},
        },
        alias="sqlite-keypad-check",
    )


def test_a_new_sqlite_connection_translates_a_code_to_its_keys(django_db_blocker):
    sqlite = _sqlite()
    with django_db_blocker.unblock():  # an in-memory database of its own
        try:
            with sqlite.cursor() as cursor:
                cursor.execute("SELECT translate(%s, %s, %s)", ["ACDE-FGHJ", *keypad_translation()])
                assert cursor.fetchone()[0] == keypad_digits("ACDE-FGHJ") == "22333445"
        finally:
            sqlite.close()


@pytest.mark.django_db
def test_it_works_like_postgresqls_translate():
    letters, numbers = keypad_translation()
    with connection.cursor() as cursor:
        for code in ("ACDE-FGHJ", "XY34-7KLM", ""):
            cursor.execute("SELECT translate(%s, %s, %s)", [code, letters, numbers])
            assert cursor.fetchone()[0] == sql_translate(code, letters, numbers)
    assert sql_translate(None, letters, numbers) is None
