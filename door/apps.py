from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DoorConfig(AppConfig):
    """The day screen for center staff at the door: today's people, search,
    check-in and no-show in one press each (with undo), counts, and the standby
    list's leftover doses. No models: it works through booking and standby."""

    name = "door"
    verbose_name = _("Day screen")
