"""The session store (impfportal/sessions.py): Django's cached_db with the write of
an existing session as one UPDATE; what it keeps of cached_db's behaviour."""

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def new_store():
    return import_module(settings.SESSION_ENGINE).SessionStore()


def test_a_changed_session_is_written_in_one_statement_to_the_database_and_the_cache():
    store = new_store()
    store["verified_phone"] = "+4915100000001"
    store.create()
    key = store.session_key
    store["_messages"] = "Erna ist jetzt auf der Warteliste."
    store.set_expiry(600)

    with CaptureQueriesContext(connection) as queries:
        store.save()

    assert [query["sql"].split()[0] for query in queries] == ["UPDATE"]
    row = Session.objects.get(session_key=key)
    expected = {
        "verified_phone": "+4915100000001",
        "_messages": "Erna ist jetzt auf der Warteliste.",
    }
    assert {k: v for k, v in row.get_decoded().items() if not k.startswith("_session")} == expected
    assert abs((row.expire_date - store.get_expiry_date()).total_seconds()) < 5
    assert (
        cache.get(f"django.contrib.sessions.cached_db{key}")["_messages"] == expected["_messages"]
    )
    # Read back by a new store as the next request reads it: from the cache, and from
    # the database alone when the cache has lost it.
    again = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    assert again["_messages"] == expected["_messages"]
    cache.delete(f"django.contrib.sessions.cached_db{key}")
    from_database = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    assert from_database["_messages"] == expected["_messages"]


def test_a_session_ended_on_the_server_is_not_written_back():
    store = new_store()
    store["verified_phone"] = "+4915100000002"
    store.create()
    key = store.session_key
    Session.objects.filter(session_key=key).delete()  # logged out in another tab, or cleared
    store["_messages"] = "too late"

    with pytest.raises(UpdateError):
        store.save()

    assert not Session.objects.filter(session_key=key).exists()


def test_a_new_session_is_still_created_with_a_key_of_its_own():
    first, second = new_store(), new_store()
    first["verified_phone"] = "+4915100000003"
    first.save()  # no key yet: cached_db's create
    second["verified_phone"] = "+4915100000004"
    second.save()
    assert first.session_key is not None
    assert second.session_key is not None
    assert first.session_key != second.session_key
    assert (
        Session.objects.filter(session_key__in=[first.session_key, second.session_key]).count() == 2
    )
