from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Deletion by purpose: the retention registry and the daily purge.

    Above every other app (it deletes their rows through their models); it
    tells the statistics which days are final through ``stats.rebuild``'s hook.
    """

    name = "privacy"
    verbose_name = _("Data protection")

    def ready(self) -> None:
        from privacy.purge import last_final_day
        from stats.rebuild import final_day_hooks

        final_day_hooks.append(last_final_day)
