"""On PostgreSQL a query a connection runs often is planned once (settings.bind_on_server)."""

import pytest
from django.conf import settings
from django.db import connection

from centers.models import Center
from impfportal import settings as portal_settings


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


@pytest.mark.django_db
def test_a_query_run_often_is_prepared_on_its_connection():
    # A query no other code runs, so that the test's connection has not prepared it before.
    query = Center.objects.filter(postal_code__lt="00000", name__iendswith="nowhere")

    def prepared() -> bool:
        return any('"centers_center"."postal_code" <' in s for s in prepared_statements())

    for _ in range(settings.DB_PREPARE_THRESHOLD - 1):
        query.exists()
    assert not prepared()
    query.exists()
    query.exists()
    assert prepared()


def test_values_are_bound_on_the_server_and_prepared_where_the_pooler_allows(monkeypatch):
    direct = {"ENGINE": "django.db.backends.postgresql"}
    portal_settings.bind_on_server(direct)  # type: ignore[arg-type]
    assert direct["OPTIONS"] == {
        "server_side_binding": True,
        "prepare_threshold": settings.DB_PREPARE_THRESHOLD,
    }
    monkeypatch.setattr(portal_settings, "DB_TRANSACTION_POOLING", True)
    pooled = {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"connect_timeout": 2}}
    portal_settings.bind_on_server(pooled)  # type: ignore[arg-type]
    # PgBouncer < 1.21 in transaction mode cannot follow a prepared statement.
    assert pooled["OPTIONS"] == {
        "connect_timeout": 2,
        "server_side_binding": True,
        "prepare_threshold": None,
    }
    sqlite = {"ENGINE": "django.db.backends.sqlite3"}
    portal_settings.bind_on_server(sqlite)  # type: ignore[arg-type]
    assert "OPTIONS" not in sqlite
