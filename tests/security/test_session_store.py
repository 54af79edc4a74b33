"""The session store (impfportal/sessions.py): Django's cached_db, a change to the
messages alone kept in Redis only, any other change written to the database as
one UPDATE; what it keeps of cached_db's behaviour."""

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.security.redis_outage import closed_port, point_cache_at

pytestmark = pytest.mark.django_db

CACHED = "django.contrib.sessions.cached_db"
MESSAGE = "Erna Imhaus ist jetzt auf der Warteliste."


def store(key: str | None = None):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)


def a_session(**values) -> str:
    new = store()
    new.update({"verified_phone": "+4915100000001", **values})
    new.create()
    assert new.session_key is not None
    return new.session_key


def in_database(key: str) -> dict:
    return Session.objects.get(session_key=key).get_decoded()


def statements(save) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        save()
    return [query["sql"].split()[0] for query in queries]


def test_a_change_is_written_in_one_statement_to_the_database_and_the_cache():
    key = a_session()
    session = store(key)
    session["last_seen"] = 1_765_000_000

    assert statements(session.save) == ["UPDATE"]

    assert in_database(key)["last_seen"] == 1_765_000_000
    assert cache.get(CACHED + key)["last_seen"] == 1_765_000_000


def test_a_message_alone_is_kept_in_redis_and_read_from_there():
    key = a_session()
    session = store(key)
    session["_messages"] = MESSAGE

    assert statements(session.save) == []

    assert "_messages" not in in_database(key)
    assert store(key)["_messages"] == MESSAGE  # the next request
    # Taking it out again is the same.
    shown = store(key)
    del shown["_messages"]
    assert statements(shown.save) == []
    assert "_messages" not in store(key)


def test_a_message_with_another_change_is_written_to_the_database_too():
    key = a_session()
    session = store(key)
    session["_messages"] = MESSAGE
    session["after_verification"] = "waitlist:my_places"

    assert statements(session.save) == ["UPDATE"]

    assert in_database(key)["after_verification"] == "waitlist:my_places"
    assert in_database(key)["_messages"] == MESSAGE


def test_a_list_changed_in_place_is_a_change():
    key = a_session(answered_offers=[1])
    session = store(key)
    session["answered_offers"].append(2)
    session.modified = True

    assert statements(session.save) == ["UPDATE"]

    assert in_database(key)["answered_offers"] == [1, 2]


def test_when_redis_loses_the_session_it_comes_back_from_the_database_without_the_message():
    key = a_session(last_seen=1_765_000_000)
    session = store(key)
    session["_messages"] = MESSAGE
    session.save()

    cache.delete(CACHED + key)

    again = store(key)
    assert again["verified_phone"] == "+4915100000001"
    assert again["last_seen"] == 1_765_000_000
    assert "_messages" not in again


def test_a_session_ended_on_the_server_is_not_written_back():
    key = a_session()
    session = store(key)
    session.load()
    Session.objects.filter(session_key=key).delete()  # logged out in another tab, or cleared
    session["last_seen"] = 1_765_000_000

    with pytest.raises(UpdateError):
        session.save()

    assert not Session.objects.filter(session_key=key).exists()


def test_a_new_session_is_still_created_with_a_key_of_its_own():
    first, second = store(), store()
    first["verified_phone"] = "+4915100000003"
    first.save()  # no key yet: cached_db's create
    second["verified_phone"] = "+4915100000004"
    second.save()
    assert first.session_key is not None
    assert second.session_key is not None
    assert first.session_key != second.session_key
    assert in_database(first.session_key)["verified_phone"] == "+4915100000003"


def test_a_rotated_session_keeps_its_data_under_the_new_key():
    key = a_session(last_seen=1_765_000_000)
    session = store(key)
    session["_messages"] = MESSAGE
    session.cycle_key()
    session.save()

    assert session.session_key != key
    assert not Session.objects.filter(session_key=key).exists()
    assert in_database(session.session_key)["last_seen"] == 1_765_000_000
    assert store(session.session_key)["_messages"] == MESSAGE


def test_without_redis_a_message_is_written_to_the_database(settings):
    key = a_session()
    point_cache_at(settings, closed_port())
    session = store(key)
    session["_messages"] = MESSAGE

    assert statements(session.save) == ["UPDATE"]

    assert in_database(key)["_messages"] == MESSAGE
    assert store(key)["_messages"] == MESSAGE  # read from the database while Redis is away
