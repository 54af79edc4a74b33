from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WaitingRoomConfig(AppConfig):
    """The waiting room in front of the costly pages (``waitingroom.gate``)."""

    name = "waitingroom"
    verbose_name = _("Waiting room")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from waitingroom.models import Opening
        from waitingroom.openings import forget_openings

        for signal in (post_save, post_delete):
            signal.connect(forget_openings, sender=Opening, dispatch_uid=f"waitingroom.{signal}")
