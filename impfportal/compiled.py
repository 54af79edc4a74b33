"""ORM queries and inserts compiled once per process and run again with other values.

Building a queryset and compiling it to SQL costs Django 0.5 to 3 ms of CPU each
time (a filter over a join with two ``Exists`` is 3 ms), more than PostgreSQL
needs to answer it. The busiest pages of an opening morning ask the same few
questions with other values thousands of times a second. ``CompiledQuery``
builds such a queryset once, with stand-in values, keeps its SQL, and runs it
with the real values: the ORM stays the one place the question is written, and
a change to it (a new status, a renamed column) changes the SQL with it.

Running it is the queryset's own iteration over a copy of its compiler that
answers with the SQL kept (``run``), so rows become instances as the ORM makes
them: with their ``select_related`` objects and annotations (as attributes).
(Until December 2026 it ran through ``Model.objects.raw``, which builds the
model's own fields only.) A ``prefetch_related`` works too, but its queries are
built by the ORM on every run: a second ``CompiledQuery`` is cheaper.

What it can hold: a queryset of one model whose values come only from the
keyword arguments, each of which reaches the SQL as a parameter (an ``int``, a
``str`` or an aware ``datetime`` compared with a DateTimeField, adapted for the
database as the ORM adapts it); nothing computed while building
(``timezone.now()`` would be frozen at the first call): a stand-in that is not
found among the parameters raises at the first call.
"""

import copy
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery

# Stand-ins no real value takes: far below any id, a string with a NUL, and a
# moment in the first year of the calendar (to the microsecond).
_INT_STAND_IN = -7_340_000_000_000_000_000
_STR_STAND_IN = "\x00compiled-query:"
_DATETIME_STAND_IN = datetime(1, 1, 1, tzinfo=UTC)  # plus the value's number in microseconds


class CompiledQuery[M: models.Model]:
    """``build(values)`` returns the queryset; ``values`` carries one attribute per
    name in ``kinds`` (``int`` or ``str``). ``run(**values)`` yields its rows."""

    def __init__(self, build: Callable[[Any], models.QuerySet[M]], **kinds: type):
        self._build = build
        self._kinds = kinds
        self._compiled: dict[str, tuple[models.QuerySet[M], Any, str, list, dict[int, str]]] = {}

    def _stand_ins(self) -> dict[str, Any]:
        stand_ins: dict[str, Any] = {}
        for number, (name, kind) in enumerate(self._kinds.items()):
            if kind is int:
                stand_ins[name] = _INT_STAND_IN - number
            elif kind is str:
                stand_ins[name] = f"{_STR_STAND_IN}{name}"
            elif kind is datetime:
                stand_ins[name] = _DATETIME_STAND_IN.replace(microsecond=number)
            else:
                raise TypeError(f"{name}: only int, str and datetime values, not {kind}")
        return stand_ins

    @staticmethod
    def _adapted(value: Any, using: str) -> Any:
        """A datetime as the ORM passes it to this database (SQLite: a string)."""
        if isinstance(value, datetime):
            return connections[using].ops.adapt_datetimefield_value(value)
        return value

    def _compile(self, using: str | None):
        key = using or "default"
        if key not in self._compiled:
            stand_ins = self._stand_ins()
            queryset = self._build(SimpleNamespace(**stand_ins))
            if using:
                queryset = queryset.using(using)
            compiler = queryset.query.get_compiler(using=queryset.db)
            # Also fills what turns a row into instances: the columns, the
            # select_related models, the annotations' positions.
            sql, params = compiler.as_sql()
            by_value = {self._adapted(value, key): name for name, value in stand_ins.items()}
            slots = {
                position: by_value[value]
                for position, value in enumerate(params)
                if isinstance(value, int | str | datetime) and value in by_value
            }
            missing = set(stand_ins) - set(slots.values())
            if missing:
                raise ValueError(f"not parameters of the query: {sorted(missing)}")
            self._compiled[key] = (queryset, compiler, sql, list(params), slots)
        return self._compiled[key]

    def run(self, *, using: str | None = None, **values: Any) -> Iterator[M]:
        """The rows of the query for ``values`` (each of the kind declared)."""
        queryset, compiler, sql, params, slots = self._compile(using)
        for name, kind in self._kinds.items():
            value = values[name]
            if not isinstance(value, kind):
                raise TypeError(f"{name} must be {kind.__name__}")
            if isinstance(value, datetime) and value.utcoffset() is None:
                # The ORM would make a naive moment aware (with a warning); the
                # database would read it in the connection's time zone instead.
                raise TypeError(f"{name} must be an aware datetime")
        bound = list(params)
        for position, name in slots.items():
            bound[position] = self._adapted(values[name], using or DEFAULT_DB_ALIAS)
        # The queryset's own iteration (instances, select_related, prefetch_related,
        # converters) over a copy of the compiler that answers with the SQL
        # compiled once, on this thread's connection.
        frozen = copy.copy(compiler)
        frozen.connection = connections[queryset.db]
        frozen.as_sql = lambda *args, **kwargs: (sql, tuple(bound))
        run = queryset.all()
        run.query.get_compiler = lambda *args, **kwargs: frozen
        return iter(run)


class CompiledInsert[M: models.Model]:
    """The INSERT of one row of ``model`` (its ``fields``), compiled once per
    database and run with each row's values; ``ignore_conflicts``: a row that
    breaks a unique constraint is skipped (``ON CONFLICT DO NOTHING``).

    Building and compiling an insert cost the ORM more CPU than writing the row
    (the outbox's insert with its 19 columns: most of a booking's CPU in
    ``queue_message``). The SQL is the ORM's own; each row's values are prepared
    as the ORM prepares them (``pre_save``, then ``get_db_prep_save``). What it
    cannot hold, and refuses: a field with a database default (the ORM leaves it
    out of the SQL when the row has no value of its own) and an expression as a
    value.
    """

    def __init__(self, model: type[M], *, fields, ignore_conflicts: bool = False):
        self._model = model
        self._fields = list(fields)
        if any(field.has_db_default() for field in self._fields):
            raise ValueError("a field with a database default changes the SQL per row")
        self._on_conflict = OnConflict.IGNORE if ignore_conflicts else None
        self._compiled: dict[str, tuple[str, bool]] = {}

    def _compile(self, row: M, using: str) -> tuple[str, bool]:
        if using not in self._compiled:
            query = InsertQuery(self._model, on_conflict=self._on_conflict)
            query.insert_values(self._fields, [row])
            compiler = query.get_compiler(using=using)
            returns = compiler.connection.features.can_return_columns_from_insert
            compiler.returning_fields = [self._model._meta.pk] if returns else None
            [(sql, params)] = compiler.as_sql()
            if len(params) != len(self._fields):
                raise ValueError("the insert's values are not one per field")
            self._compiled[using] = (sql, returns)
        return self._compiled[using]

    def insert(self, row: M, *, using: str | None = None) -> Any:
        """Write ``row`` (to the database the routers choose for it by default);
        its new primary key, or None when the row was skipped as a conflict or
        the database cannot say (then read it by its unique key)."""
        using = using or router.db_for_write(self._model, instance=row)
        connection = connections[using]
        params = []
        for field in self._fields:
            value = field.pre_save(row, add=True)
            if hasattr(value, "resolve_expression"):
                raise TypeError(f"{field.name}: an expression, not a value")
            params.append(field.get_db_prep_save(value, connection=connection))
        # Compiled from a row of plain values only (checked above): the SQL kept
        # for every later row must not carry one row's expression.
        sql, returns = self._compile(row, using)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchone() if returns else None
        return found[0] if found else None
