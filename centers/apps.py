from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CentersConfig(AppConfig):
    name = "centers"
    verbose_name = _("Vaccination centers")

    def ready(self) -> None:
        # A change in the admin (or a test) takes effect in this process at once.
        from django.db.models.signals import post_delete, post_save

        from centers.models import Center, District, PostalCode
        from centers.selectors import forget_districts, forget_states

        for model in (District, PostalCode):
            for signal in (post_save, post_delete):
                uid = f"centers.forget_districts.{model._meta.label}"
                signal.connect(forget_districts, sender=model, dispatch_uid=uid)
        # A new, renamed or moved center (its seats' changes show within the copy's age).
        for shown in (Center, District):
            for signal in (post_save, post_delete):
                uid = f"centers.forget_states.{shown._meta.label}"
                signal.connect(forget_states, sender=shown, dispatch_uid=uid)
