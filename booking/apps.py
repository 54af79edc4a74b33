from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = _("Bookings")

    def ready(self) -> None:
        from booking.eligibility import forget_rules
        from booking.models import PriorityGroup, VaccineOpening
        from centers.models import Vaccine

        # A change in the admin (or a test) takes effect in this process at once.
        for model in (PriorityGroup, VaccineOpening, Vaccine):
            uid = f"booking.forget_rules.{model._meta.label}"
            for signal in (post_save, post_delete):
                signal.connect(forget_rules, sender=model, dispatch_uid=uid)
