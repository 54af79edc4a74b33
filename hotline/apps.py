from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "hotline"
    verbose_name = _("Hotline")

    def ready(self) -> None:
        from hotline.group import ensure_hotline_group_after_migrate, is_agent
        from staff_auth.policy import ROLES_NEEDING_A_SECOND_FACTOR

        post_migrate.connect(
            ensure_hotline_group_after_migrate,
            sender=self,
            dispatch_uid="hotline.ensure_hotline_group",
        )
        # Agents see households' personal data: they confirm their login with
        # a second factor, as center staff do.
        if is_agent not in ROLES_NEEDING_A_SECOND_FACTOR:
            ROLES_NEEDING_A_SECOND_FACTOR.append(is_agent)
