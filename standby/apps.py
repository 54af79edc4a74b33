from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StandbyConfig(AppConfig):
    """The same-day standby list: people who can be at a center within 45 minutes,
    offered the day's leftover doses (first claim wins).

    Above booking and the waiting list: a same-day seat that the waiting list
    cannot offer any more (too close) and a no-show's seat come here.
    """

    name = "standby"
    verbose_name = _("Standby list")

    def ready(self) -> None:
        from centers.signals import seats_freed
        from standby import receivers

        seats_freed.connect(receivers.offer_freed_seats_today, dispatch_uid="standby.freed")
