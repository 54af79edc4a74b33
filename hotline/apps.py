from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "hotline"
    verbose_name = _("Hotline")

    def ready(self) -> None:
        from hotline.codes import add_translate_to_sqlite
        from hotline.group import ensure_hotline_group_after_migrate, is_agent
        from staff_auth.policy import ROLES_NEEDING_A_SECOND_FACTOR

        post_migrate.connect(
            ensure_hotline_group_after_migrate,
            sender=self,
            dispatch_uid="hotline.ensure_hotline_group",
        )
        # The voice line finds booking codes by their keys with translate(),
        # which SQLite (the quick start) lacks.
        connection_created.connect(add_translate_to_sqlite, dispatch_uid="hotline.sqlite_translate")
        # Agents see households' personal data: they confirm their login with
        # a second factor, as center staff do.
        if is_agent not in ROLES_NEEDING_A_SECOND_FACTOR:
            ROLES_NEEDING_A_SECOND_FACTOR.append(is_agent)

        from sms.interactive import register

        # Offer calls ask "1 to accept, 2 to decline" (hotline.voice) when the
        # voice line is configured; otherwise they read the offer's text.
        register("offer:", _offer_call_url)


def _offer_call_url(message) -> str | None:
    from django.conf import settings
    from django.urls import reverse

    if not settings.HOTLINE_VOICE_BASE_URL:
        return None
    return settings.HOTLINE_VOICE_BASE_URL + reverse("hotline:voice_offer", args=[message.pk])
