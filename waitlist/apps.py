from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WaitlistConfig(AppConfig):
    name = "waitlist"
    verbose_name = _("Waiting list")

    def ready(self) -> None:
        from booking.signals import person_corrected, person_is_busy, person_removing
        from centers.signals import seats_freed, seats_held_in, slots_closed, slots_withdrawn
        from centers.waiting_list import release_offers_asked, waiting_list_asked
        from sms.signals import messages_failed, messages_sent
        from waitlist import receivers

        seats_freed.connect(receivers.pass_on_freed_seats, dispatch_uid="waitlist.seats_freed")
        slots_withdrawn.connect(
            receivers.withdraw_offers_in_closed_slots, dispatch_uid="waitlist.slots_withdrawn"
        )
        slots_closed.connect(
            receivers.serve_again_after_withdrawal, dispatch_uid="waitlist.slots_closed"
        )
        seats_held_in.connect(receivers.count_open_offers, dispatch_uid="waitlist.seats_held_in")
        waiting_list_asked.connect(
            receivers.waiting_list_figures, dispatch_uid="waitlist.waiting_list_asked"
        )
        release_offers_asked.connect(
            receivers.offers_from_release, dispatch_uid="waitlist.release_offers_asked"
        )
        messages_sent.connect(
            receivers.start_offer_deadlines, dispatch_uid="waitlist.messages_sent"
        )
        messages_failed.connect(
            receivers.end_undelivered_offers, dispatch_uid="waitlist.messages_failed"
        )
        person_is_busy.connect(
            receivers.refuse_change_while_offered, dispatch_uid="waitlist.person_is_busy"
        )
        person_removing.connect(
            receivers.give_up_places_of_removed_person, dispatch_uid="waitlist.person_removing"
        )
        person_corrected.connect(
            receivers.follow_corrected_person, dispatch_uid="waitlist.person_corrected"
        )
        from impfportal.metrics import register_scrape_collector
        from waitlist.metrics import WaitlistCollector

        register_scrape_collector(WaitlistCollector())
