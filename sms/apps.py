from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsConfig(AppConfig):
    name = "sms"
    verbose_name = _("Text messages and phone verification")

    def ready(self) -> None:
        from impfportal.metrics import register_scrape_collector
        from sms import checks  # noqa: F401  (registers the settings checks)
        from sms.metrics import OutboxCollector

        register_scrape_collector(OutboxCollector())
