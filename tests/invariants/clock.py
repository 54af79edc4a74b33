"""A clock the tests move by hand: ``django.utils.timezone.now`` and every model
field whose default is it (``created_at``, ``joined_at`` ...), so that the rows'
timestamps, the services' "now" and the statistics' days all agree."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

from django.apps import apps
from django.utils import timezone


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.start = start
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def reset(self) -> None:
        self.now = self.start

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@contextmanager
def fake_clock(start: datetime) -> Iterator[FakeClock]:
    clock = FakeClock(start)
    real_now = timezone.now
    fields = [
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.default is real_now
    ]
    for field in fields:
        field.default = clock
        field.__dict__.pop("_get_default", None)  # a cached_property
    try:
        with mock.patch("django.utils.timezone.now", clock):
            yield clock
    finally:
        for field in fields:
            field.default = real_now
            field.__dict__.pop("_get_default", None)
