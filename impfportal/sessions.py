"""The session store: Django's ``cached_db`` (every session in the database and
in Redis, read from Redis, from the database when Redis is away), with a cheaper
write of an existing session.

A resident's session is written on most steps that change something: the
message a step leaves for the next page ("… is now on the waiting list"), and
the removal of that message when the page shows it. Django writes it through a
model instance's ``save(force_update=True)`` inside ``transaction.atomic``:
BEGIN, UPDATE, COMMIT, and the ORM building the UPDATE each time, about half a
millisecond of CPU of the two writes of a draw registration's five requests
(bench/README.md, draw). One UPDATE in autocommit is as atomic, and its SQL
is written here once.

Everything else is ``cached_db``'s: creating a session (with its check that the
key is new), loading, rotating, deleting, and the answers to a failed write (a
row that is gone, or a database error, raise ``UpdateError``: the middleware
then answers that the session was interrupted).
"""

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.base import UpdateError
from django.db import DatabaseError, connections, router


class SessionStore(cached_db.SessionStore):
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
            return
        # django-stubs leave out the stores' internals (_get_session, _cache).
        data = self._get_session()  # type: ignore[attr-defined]
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
        cache = self._cache  # type: ignore[attr-defined]
        try:
            cache.set(self.cache_key, data, self.get_expiry_age())
        except Exception:
            cached_db.logger.exception("Error saving to cache (%s)", cache)
