"""Ways to take Redis away from a test: a closed port, or one that never answers."""

import copy
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from limits import store


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"  # nothing listens there any more


@contextmanager
def hanging_redis() -> Iterator[str]:
    """A port that accepts connections and never answers, like a stuck Redis."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(128)
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"


def point_cache_at(settings, location: str, *, timeout: float = 0.1) -> None:
    """The default cache at ``location``, with the production options and short timeouts."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = location
    caches["default"]["OPTIONS"].update(SOCKET_CONNECT_TIMEOUT=timeout, SOCKET_TIMEOUT=timeout)
    settings.CACHES = caches  # Django resets its cache connections
    store.reset_breaker()
