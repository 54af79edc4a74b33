import pytest
from django.core.cache import cache
from django.utils import translation

from sms.backends import memory
from tests import factories
from tests.journeys import verify


@pytest.fixture(autouse=True)
def _clean_outbox_and_cache():
    memory.outbox.clear()
    cache.delete_pattern("*")  # only this process's keys (see KEY_PREFIX in tests/settings.py)
    yield
    memory.outbox.clear()
    # A request leaves its language active in the thread (LocaleMiddleware);
    # the next test must start from the default again.
    translation.deactivate()


@pytest.fixture
def vaccine(db):
    return factories.make_vaccine()


@pytest.fixture
def center(db):
    return factories.make_center(
        district=factories.make_district(postal_codes=[("30159", "Hannover")])
    )


@pytest.fixture
def open_for_80(vaccine):
    return factories.open_group(vaccines=[vaccine])


@pytest.fixture
def phone():
    return factories.unique_mobile()


@pytest.fixture
def verified_client(client, phone, db):
    verify(client, phone)
    client.phone = phone
    return client
