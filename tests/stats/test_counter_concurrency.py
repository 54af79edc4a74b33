"""Many transactions count into the same center and day at once, for real, on PostgreSQL.

The upsert (``INSERT … ON CONFLICT DO UPDATE SET value = value + n``) is the
only thing between them: no lost increments with one hot row or with shards,
and a transaction that rolls back takes its increment with it.
"""

import threading
import time
from datetime import date

import pytest
from django.db import connection, transaction

from stats.counters import count
from stats.models import DailyCounter, Metric
from tests import factories
from tests.stats.conftest import figure

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 16
EVENTS = 25
DAY = date(2021, 2, 1)


def naive_count(center_id: int) -> None:
    """Read, add, write: what the upsert replaces."""
    row, _created = DailyCounter.objects.get_or_create(
        day=DAY, metric=Metric.BOOKED, center_id=center_id, shard=0
    )
    time.sleep(0.001)
    row.value += 1
    row.save(update_fields=["value"])


def run_threads(work) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(number: int) -> None:
        try:
            start.wait()
            for event in range(EVENTS):
                try:
                    with transaction.atomic():
                        work(number, event)
                except RuntimeError:
                    pass  # a rolled-back event
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_a_naive_read_then_write_counter_loses_increments():
    center = factories.make_center()
    DailyCounter.objects.create(day=DAY, metric=Metric.BOOKED, center_id=center.pk, shard=0)
    run_threads(lambda number, event: naive_count(center.pk))
    assert figure(Metric.BOOKED) < THREADS * EVENTS


@pytest.mark.parametrize("shards", [1, 8])
def test_concurrent_counts_are_all_kept_and_rollbacks_are_not(settings, shards):
    settings.STATS_COUNTER_SHARDS = shards
    center = factories.make_center()

    def work(number: int, event: int) -> None:
        count(Metric.BOOKED, day=DAY, center_id=center.pk)
        if event % 5 == 0:
            raise RuntimeError("this booking rolls back")

    errors = run_threads(work)
    assert errors == []
    assert figure(Metric.BOOKED) == THREADS * (EVENTS - EVENTS // 5)
    assert DailyCounter.objects.count() <= shards
