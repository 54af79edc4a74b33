"""One place per session: refreshing, going back and second tabs never lose the
place and never gain a second one, also when they arrive at the same moment."""

import threading

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.waitingroom.conftest import (
    active_tickets,
    arrive,
    queue_order,
    queued,
    refresh,
    ticket_of,
)


def same_browser(client: Client) -> Client:
    """A second tab: another client with the same session cookie."""
    tab = Client()
    tab.cookies[django_settings.SESSION_COOKIE_NAME] = client.cookies[
        django_settings.SESSION_COOKIE_NAME
    ].value
    return tab


@pytest.mark.django_db
def test_refreshing_going_back_and_a_second_tab_keep_the_one_place(settings):
    settings.WAITINGROOM_CAPACITY = 1
    arrive()
    waiting, behind = arrive(), arrive()
    place = queue_order().index(ticket_of(waiting))
    for _ in range(5):
        refresh(waiting)
        assert queued(waiting.get(reverse("sms:phone")))  # "back" to the page asked for
        assert queued(same_browser(waiting).get(reverse("booking:people")))
    assert queue_order() == [ticket_of(waiting), ticket_of(behind)]
    assert queue_order().index(ticket_of(waiting)) == place


@pytest.mark.django_db(transaction=True)
def test_tabs_of_one_session_arriving_at_once_get_one_place(settings):
    """Twelve tabs of one session (threads, each its own connection) and twelve
    other residents hit the room together; the session holds exactly one place."""
    settings.WAITINGROOM_CAPACITY = 1
    arrive()  # the one place in the flow is taken
    browser = Client()
    browser.get(reverse("booking:start"))
    browser.session.save()  # a session exists, without a ticket yet
    session = browser.session
    session["visited"] = True
    session.save()
    assert session.session_key is not None
    browser.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key
    tabs = [same_browser(browser) for _ in range(12)]
    others = [Client() for _ in range(12)]
    start = threading.Barrier(len(tabs) + len(others))
    errors: list[BaseException] = []

    def run(client: Client) -> None:
        try:
            start.wait()
            client.get(reverse("sms:phone"))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in tabs + others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    order = queue_order()
    assert len(order) == len(set(order)) == 13  # 12 others + this browser's one
    assert ticket_of(browser) in order
    assert len(active_tickets()) == 1


@pytest.mark.django_db
def test_a_forged_ticket_in_the_session_is_not_believed(settings):
    settings.WAITINGROOM_CAPACITY = 1
    arrive()
    client = arrive()
    session = client.session
    session["waitingroom_ticket"] = "not-signed"
    session.save()
    assert queued(client.get(reverse("sms:phone")))
    assert len(queue_order()) == 1  # the same, re-derived ticket: still one place
