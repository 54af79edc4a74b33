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
        from centers.signals import seats_freed

        # Connected before the waiting list's receiver (booking comes first in
        # INSTALLED_APPS): second doses awaiting a seat are served first.
        seats_freed.connect(
            _serve_awaiting_second_doses, dispatch_uid="booking.serve_awaiting_second_doses"
        )

        # A change in the admin (or a test) takes effect in this process at once.
        for model in (PriorityGroup, VaccineOpening, Vaccine):
            uid = f"booking.forget_rules.{model._meta.label}"
            for signal in (post_save, post_delete):
                signal.connect(forget_rules, sender=model, dispatch_uid=uid)


def _serve_awaiting_second_doses(sender, *, slot_ids, **kwargs) -> None:
    from booking.second_doses import serve_awaiting_second_doses

    serve_awaiting_second_doses(slot_ids=slot_ids)
