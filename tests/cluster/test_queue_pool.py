"""The queue page has a pool of its own behind HAProxy, and the web nodes stand in
for it while it is down."""

import http.client
import urllib.error
import urllib.request

from tests.cluster.conftest import CLUSTER_MARKS, poll

pytestmark = CLUSTER_MARKS

QUEUE_PAGE = "/waiting-room/"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def status_of(url: str) -> int:
    """The answer's status, redirects not followed (a visitor without a ticket is
    sent on from the queue page: the page answered)."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def web_served(cluster) -> int:
    return sum(count for name, count in cluster.served("queue").items() if name != "queue")


def test_the_queue_page_goes_to_its_own_pool_and_the_rest_does_not(cluster):
    before = cluster.served("queue")
    statuses = [status_of(cluster.url(QUEUE_PAGE)) for _ in range(5)]
    statuses.append(status_of(cluster.url(f"{QUEUE_PAGE}?refresh=off")))
    after = cluster.served("queue")
    assert all(status < 500 for status in statuses), statuses
    assert after["queue"] - before["queue"] == 6
    assert web_served(cluster) == sum(c for n, c in before.items() if n != "queue")
    assert status_of(cluster.url("/")) == 200
    assert cluster.served("queue") == after  # the start page went to the web nodes


def test_the_queue_pool_keeps_a_connection_for_the_next_request(cluster):
    """Its workers are threaded (gthread): a connection outlives its answer, so a
    worker never waits for a client to close one (a sync worker says
    ``Connection: close`` and then waits for the client's FIN)."""
    connection = http.client.HTTPConnection("127.0.0.1", cluster.queue.port, timeout=10)
    sockets = []
    try:
        for _ in range(2):
            connection.request("GET", QUEUE_PAGE)
            answer = connection.getresponse()
            answer.read()
            assert answer.status < 500
            assert not answer.will_close, answer.getheader("Connection")
            sockets.append(connection.sock)
        assert sockets[0] is not None
        assert sockets[0] is sockets[1]  # the same connection answered both
    finally:
        connection.close()


def test_the_web_nodes_serve_the_queue_page_while_its_pool_is_down(cluster):
    cluster.stop_queue_pool()
    try:
        poll(
            "HAProxy marks the pool down", lambda: cluster.server_states("queue")["queue"] == "DOWN"
        )
        before = web_served(cluster)
        statuses = [status_of(cluster.url(QUEUE_PAGE)) for _ in range(3)]
        assert all(status < 500 for status in statuses), statuses
        assert web_served(cluster) - before == 3
    finally:
        cluster.start_queue_pool()
    poll("the pool back", lambda: cluster.server_states("queue")["queue"] == "UP")
