from django.apps import AppConfig


class LimitsConfig(AppConfig):
    """Counters for rate limits: Redis first, PostgreSQL when Redis fails (``limits.store``)."""

    name = "limits"
