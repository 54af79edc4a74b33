from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    """The ministry's statistics. The top of the app chain: it may import every
    other app, and none imports it; it listens to their signals."""

    name = "stats"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        from stats.receivers import connect_all

        connect_all()
