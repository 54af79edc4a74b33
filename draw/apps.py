from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DrawConfig(AppConfig):
    """Draws at scheduled openings: a registration window instead of a race."""

    name = "draw"
    verbose_name = _("Draws")

    def ready(self) -> None:
        from draw import registration
        from waitlist.signals import entry_registered

        entry_registered.connect(registration.hold_for_draw, dispatch_uid="draw.entry_registered")
