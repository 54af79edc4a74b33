"""Searching the whole database and the test's Redis for a canary's values."""

from typing import Any

from django.conf import settings
from django.db import connection
from redis import Redis

SEARCHED_TYPES = ("text", "character varying", "character", "json", "jsonb", "date")


def found_in_database(needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every text, JSON and date column of every table
    of this schema in which a needle occurs (case-insensitive, anywhere in the value)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = ANY(%s) "
            "ORDER BY table_name, column_name",
            [list(SEARCHED_TYPES)],
        )
        columns = cursor.fetchall()
        quote = connection.ops.quote_name
        found = []
        for table, column in columns:
            for needle in needles:
                cursor.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {quote(table)} "  # noqa: S608 (names from the catalog)
                    f"WHERE {quote(column)}::text ILIKE %s)",
                    [f"%{needle}%"],
                )
                if cursor.fetchone()[0]:
                    found.append((table, column, needle))
    return found


def redis() -> Redis:
    return Redis.from_url(settings.CACHES["default"]["LOCATION"])


def _values(client: Redis, key: bytes) -> list[Any]:
    kind = client.type(key)
    if kind == b"string":
        return [client.get(key) or b""]
    if kind == b"hash":
        return [part for pair in client.hgetall(key).items() for part in pair]
    if kind == b"list":
        return client.lrange(key, 0, -1)
    if kind == b"set":
        return list(client.smembers(key))
    if kind == b"zset":
        return client.zrange(key, 0, -1)
    return []


def found_in_redis(needles: list[str]) -> list[tuple[bytes, str]]:
    """(key, needle) for every key of the test's Redis whose name or value holds a needle."""
    client = redis()
    found = []
    for key in client.scan_iter(count=1000):
        blobs = [key, *_values(client, key)]
        for needle in needles:
            if any(needle.encode().lower() in bytes(blob).lower() for blob in blobs):
                found.append((key, needle))
    return found


def let_redis_expire(seconds: float) -> None:
    """What Redis does by itself while ``seconds`` pass: keys whose time-to-live runs
    out in that time are gone (the tests' clock does not move Redis's)."""
    client = redis()
    for key in client.scan_iter(count=1000):
        ttl = client.ttl(key)
        if 0 <= ttl <= seconds:
            client.delete(key)
