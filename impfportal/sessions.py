"""The session store: Django's ``cached_db`` (every session in the database and
in Redis, read from Redis, from the database when Redis is away), with cheaper
writes of an existing session.

A resident's session is written on most steps that change something, and
mostly the only change is the message a step leaves for the next page ("… is
now on the waiting list") or that page taking it out again: two of the draw
registration's five requests, each a database write (BEGIN, UPDATE, COMMIT,
and the ORM building the UPDATE) for nothing but a message (bench/README.md,
draw). So:

- A change to nothing but the messages, or the moment the waiting room last let
  the session in (``TRANSIENT_KEYS``), is written to Redis only: the next request
  reads the session from there. When Redis does not
  keep it (it is away: django-redis then answers None instead of True), it is
  written to the database as any change. Should Redis lose it later, the
  session comes back from the database without the message, which only says
  what the resident just did; nothing else is lost. The messages stay on the
  server either way (no cookie; docs/security.md).
- Any other change is written to both, the database as one UPDATE in
  autocommit (as atomic as Django's BEGIN/UPDATE/COMMIT), its SQL written once.

Everything else is ``cached_db``'s: creating a session (with its check that the
key is new), loading, rotating, deleting, and the answers to a failed write (a
row that is gone, or a database error, raise ``UpdateError``: the middleware
then answers that the session was interrupted).
"""

import json

from django.contrib.messages.storage.session import SessionStorage
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.base import UpdateError
from django.db import DatabaseError, connections, router

from waitingroom import tickets

# Session keys whose changes alone are kept in Redis only: the messages
# (``MESSAGE_STORAGE`` is the session storage) and when the waiting room last let
# the session in (lost, the room is only asked again).
TRANSIENT_KEYS = frozenset({SessionStorage.session_key, tickets.CHECKED})


def _durable(data: dict) -> str:
    """The session without its transient keys, as text: compared, not stored (a
    list changed in place is a change too)."""
    kept = {key: value for key, value in data.items() if key not in TRANSIENT_KEYS}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"))


class SessionStore(cached_db.SessionStore):
    # What the database holds of the session as loaded (None: not known, write it).
    _stored: str | None = None

    def load(self) -> dict:
        data = super().load()
        self._stored = _durable(data)
        return data

    def _update_sql(self, connection) -> str:
        meta, quote = self.model._meta, connection.ops.quote_name
        columns = {field.name: quote(field.column or field.name) for field in meta.concrete_fields}
        data, expiry, key = (
            columns[name] for name in ("session_data", "expire_date", "session_key")
        )
        # Names from the model's own meta, never from a request; values are parameters.
        return f"UPDATE {quote(meta.db_table)} SET {data} = %s, {expiry} = %s WHERE {key} = %s"  # noqa: S608

    def save(self, must_create: bool = False) -> None:
        if must_create or self.session_key is None:
            super().save(must_create)  # an INSERT, with Django's own checks
            self._stored = None
            return
        # django-stubs leave out the stores' internals (_get_session, _cache).
        data = self._get_session()  # type: ignore[attr-defined]
        durable = _durable(data)
        if durable != self._stored:
            self._write_to_database(data)
            self._stored = durable
            self._write_to_cache(data)
        elif not self._write_to_cache(data):
            # Redis did not keep it (away, or a cache that does not say): the database does.
            self._write_to_database(data)

    def _write_to_cache(self, data: dict) -> bool:
        """Whether Redis said it kept the session (django-redis answers True)."""
        cache = self._cache  # type: ignore[attr-defined]
        try:
            return cache.set(self.cache_key, data, self.get_expiry_age()) is True
        except Exception:
            cached_db.logger.exception("Error saving to cache (%s)", cache)
            return False

    def _write_to_database(self, data: dict) -> None:
        connection = connections[router.db_for_write(self.model)]
        expire_date = self.model._meta.get_field("expire_date").get_db_prep_value(
            self.get_expiry_date(), connection
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    self._update_sql(connection),
                    [self.encode(data), expire_date, self.session_key],
                )
                updated = cursor.rowcount
        except DatabaseError:
            raise UpdateError from None
        if updated != 1:  # the row is gone (logged out, cleared, expired meanwhile)
            raise UpdateError
