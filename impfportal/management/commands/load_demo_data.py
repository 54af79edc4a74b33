"""``python manage.py load_demo_data``: a portal to click through, for the quick start.

Creates, in one transaction, the districts, postal codes and 50 vaccination
centers of ``impfportal/demo_data.py``, the vaccines, priority groups and their
openings, deliveries for every third center, 6 weeks of first-dose appointments
(with their second doses) for most of those
(a few stay "waiting list only"), a few bookings made through
``booking.services``, a few people waiting at the "waiting list only" centers
(through ``waitlist.services``) and the demo logins.

Idempotent: everything is found by its natural key (slug, code, username, phone),
centers that already have slots get none added, people who already hold an
appointment are not booked again, and people already waiting do not join again.
"""

import random
import uuid
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from booking.errors import BookingError
from booking.models import Person, PriorityGroup, Series, VaccineOpening
from booking.services import add_person, book_series, household_for
from centers.models import Center, Delivery, District, PostalCode, Slot, Vaccine
from centers.release import add_series_seats, public_holidays
from hotline.group import ensure_hotline_group
from impfportal import demo_data
from impfportal.staff_group import ensure_staff_group
from sms.models import Message
from waitlist.models import Entry
from waitlist.services import join_waitlist

SAFE_SMS_BACKENDS = {"sms.backends.console.ConsoleBackend", "sms.backends.memory.MemoryBackend"}
DEMO_PASSWORD = "impfen-demo-2021"  # noqa: S105 -- printed for everyone, on purpose
# Staff logins the summary and the README name: one per state of a center.
STAFF_EXAMPLES = ("westerstede", "hildesheim", "nordhorn", "hannover-messe")
FIRST_DOSE_WEEKS = 6  # first doses; their second doses follow 21 to 84 days later
LONGEST_INTERVAL_DAYS = 84  # AstraZeneca
SLOT_TIMES = [time(8 + minutes // 60, minutes % 60) for minutes in range(0, 600, 30)]  # 8-17:30
# Vaccine of the n-th delivery center, cycling: mostly BioNTech, some Moderna and AstraZeneca.
VACCINE_CYCLE = ("biontech", "biontech", "moderna", "biontech", "biontech", "astrazeneca")
WAITLIST_ONLY = {4, 9, 14}  # delivery centers (by position) that get no slots
# People waiting at those centers (phone, first name, last name, born).
WAITING = (
    ("+4915112345611", "Hildegard", "Krüger", date(1937, 2, 3)),
    ("+4916012345612", "Günther", "Lange", date(1935, 8, 21)),
    ("+4917012345613", "Elfriede", "Wolff", date(1941, 12, 5)),
)
DEMO_DOSES_TO_RELEASE = 1200  # doses beyond the demo slots, for trying a release


class Command(BaseCommand):
    help = "Load demo centers, vaccines, slots, bookings and logins (safe to run again)."

    def handle(self, *args, **options) -> None:
        if settings.SMS_BACKEND not in SAFE_SMS_BACKENDS:
            # The demo households have real-looking numbers: never text them for real.
            raise CommandError("Demo data is only for the console or in-memory SMS backend.")
        rng = random.Random(2021)  # same "random" doses and lanes on every run
        with transaction.atomic():
            centers = self._places()
            vaccines = self._vaccines_and_groups()
            slot_centers = self._deliveries_and_slots(centers, vaccines, rng)
            self._bookings(slot_centers)
            self._waiting([c for c in centers[::3] if c not in slot_centers])
            self._today(slot_centers)
            self._users(centers)
        self._summary(centers)

    def _places(self) -> list[Center]:
        districts: dict[str, District] = {}
        for name, postal_codes in demo_data.DISTRICTS.items():
            districts[name], _ = District.objects.update_or_create(
                slug=slugify(name), defaults={"name": name}
            )
            for code, town in postal_codes:
                PostalCode.objects.update_or_create(
                    code=code, defaults={"town": town, "district": districts[name]}
                )
        centers = []
        for district, district_centers in demo_data.CENTERS.items():
            for name, street, postal_code, town in district_centers:
                center, _ = Center.objects.update_or_create(
                    slug=slugify(name.removeprefix("Impfzentrum ")),
                    defaults={
                        "district": districts[district],
                        "name": name,
                        "street": street,
                        "postal_code": postal_code,
                        "town": town,
                    },
                )
                centers.append(center)
        return centers

    def _vaccines_and_groups(self) -> dict[str, Vaccine]:
        vaccines = {}
        for name, interval in (("BioNTech", 21), ("Moderna", 28), ("AstraZeneca", 84)):
            vaccines[slugify(name)], _ = Vaccine.objects.update_or_create(
                slug=slugify(name), defaults={"name": name, "second_dose_interval_days": interval}
            )
        groups = {}
        for rank, min_age in ((1, 80), (2, 70), (3, 60)):
            groups[min_age], _ = PriorityGroup.objects.update_or_create(
                rank=rank, defaults={"name": f"{min_age} und älter", "min_age": min_age}
            )
        for min_age, slug in ((80, "biontech"), (80, "moderna"), (60, "astrazeneca")):
            VaccineOpening.objects.update_or_create(
                group=groups[min_age],
                vaccine=vaccines[slug],
                scope=VaccineOpening.Scope.BOOKING,
            )
        return vaccines

    def _deliveries_and_slots(
        self, centers: list[Center], vaccines: dict[str, Vaccine], rng: random.Random
    ) -> list[Center]:
        """Deliver to every third center; return those of them that get slots."""
        today = timezone.localdate()
        days = [today + timedelta(days=n) for n in range(1, FIRST_DOSE_WEEKS * 7 + 1)]
        # Monday to Saturday, without the state's public holidays (as a release
        # leaves them out, for the day itself and for its second dose).
        holidays = public_holidays(days[0], days[-1] + timedelta(days=LONGEST_INTERVAL_DAYS))
        weekdays = [day for day in days if day.weekday() < 6 and day not in holidays]
        slot_centers = []
        for position, center in enumerate(centers[::3]):
            vaccine = vaccines[VACCINE_CYCLE[position % len(VACCINE_CYCLE)]]
            interval = timedelta(days=vaccine.second_dose_interval_days)
            opening_days = [day for day in weekdays if day + interval not in holidays]
            # Drawn on every run, so that the sequence does not depend on what exists.
            doses = rng.randrange(1200, 6001, 6)
            delivered_on = today - timedelta(days=rng.randint(0, 13))
            lanes = rng.randint(2, 4)
            if position not in WAITLIST_ONLY:
                # Slots never bind more doses than were delivered (centers/stock.py):
                # each appointment binds its first and its second dose. The rest
                # is left for staff to release in the demo.
                seats = 2 * len(opening_days) * len(SLOT_TIMES) * lanes
                doses = max(doses, seats + DEMO_DOSES_TO_RELEASE)
            delivery = {"doses": doses, "delivered_on": delivered_on}
            Delivery.objects.get_or_create(center=center, vaccine=vaccine, defaults=delivery)
            if position in WAITLIST_ONLY:
                continue
            slot_centers.append(center)
            if center.slots.exists():
                continue
            # As a release makes them: first doses and the second doses reserved
            # for them, counted in the statistics as they are created.
            add_series_seats(
                center=center,
                vaccine=vaccine,
                first_dose_times=[
                    timezone.make_aware(datetime.combine(day, at))
                    for day in opening_days
                    for at in SLOT_TIMES
                ],
                lanes=lanes,
            )
        return slot_centers

    def _bookings(self, slot_centers: list[Center]) -> None:
        """Book each demo household about a week ahead, spread over centers and vaccines."""
        week_ahead = timezone.localdate() + timedelta(days=7)
        for number, (phone, people) in enumerate(demo_data.HOUSEHOLDS):
            center = slot_centers[(2 * number + 1) % len(slot_centers)]
            codes = list(
                center.district.postal_codes.order_by("code").values_list("code", flat=True)
            )
            household = household_for(phone)
            after = timezone.make_aware(
                datetime.combine(week_ahead + timedelta(days=number), time(9 + number))
            )
            for first_name, last_name, born in people:
                person = household.people.filter(
                    first_name=first_name, last_name=last_name, date_of_birth=born
                ).first() or add_person(
                    household=household,
                    first_name=first_name,
                    last_name=last_name,
                    date_of_birth=born,
                    postal_code=codes[number % len(codes)],
                )
                if not person.series.active().exists():
                    self._book(person, center, after)

    def _book(self, person: Person, center: Center, after: datetime) -> Series:
        """Book the first free slot from ``after`` on whose second dose can be booked too."""
        slots = (
            Slot.objects.bookable()
            .filter(center=center, starts_at__gte=after)
            .select_related("center", "vaccine")
            .order_by("starts_at")[:20]
        )
        for slot in slots:
            try:
                return book_series(person=person, slot=slot, request_token=uuid.uuid4())
            except BookingError:
                continue  # e.g. no second-dose seat: try the next time
        raise CommandError(f"Could not book {person} at {center}.")

    def _today(self, slot_centers: list[Center]) -> None:
        """Today's people at Westerstede (``staff-westerstede``), for the day screen."""
        from door.demo import load_today

        center = next((c for c in slot_centers if c.slug == "westerstede"), slot_centers[0])
        slot = center.slots.select_related("vaccine").first()
        if slot is not None:
            load_today(center=center, vaccine=slot.vaccine)

    def _waiting(self, waitlist_only: list[Center]) -> None:
        """A few people on the waiting lists of centers that have vaccine but no slots."""
        for number, (phone, first_name, last_name, born) in enumerate(WAITING):
            center = waitlist_only[number % len(waitlist_only)]
            household = household_for(phone)
            person = household.people.filter(
                first_name=first_name, last_name=last_name, date_of_birth=born
            ).first() or add_person(
                household=household,
                first_name=first_name,
                last_name=last_name,
                date_of_birth=born,
                postal_code=center.district.postal_codes.earliest("code").code,
            )
            if not person.waitlist_entries.filter(status__in=Entry.ACTIVE).exists():
                join_waitlist(person=person, center=center)

    def _users(self, centers: list[Center]) -> None:
        # What set_password() would store. Hashing is deliberately slow (~0.35 s), so
        # hash the shared demo password once, not once for each of the 52 accounts.
        password_hash = make_password(DEMO_PASSWORD)
        # The group migrate keeps up to date (impfportal/staff_group.py).
        center_staff = ensure_staff_group()
        ministry, _ = Group.objects.get_or_create(name="ministry")
        self._user("admin", password_hash, is_staff=True, is_superuser=True)
        self._user("ministerium", password_hash).groups.add(ministry)
        # A hotline agent: the console at /hotline/, no admin (hotline/group.py).
        self._user("hotline", password_hash).groups.add(ensure_hotline_group())
        for center in centers:
            user = self._user(f"staff-{center.slug}", password_hash, is_staff=True)
            user.groups.add(center_staff)
            center.staff.add(user)

    def _user(self, username: str, password_hash: str, **flags: bool) -> User:
        """Get or create a user; the demo password is set only when creating it."""
        defaults = {"password": password_hash, **flags}
        return get_user_model().objects.get_or_create(username=username, defaults=defaults)[0]

    def _summary(self, centers: list[Center]) -> None:
        states = [center.state for center in Center.objects.with_availability()]
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(
            f"  {District.objects.count()} districts, {PostalCode.objects.count()} postal codes, "
            f"{len(states)} centers: {states.count(Center.State.AVAILABLE)} with appointments, "
            f"{states.count(Center.State.WAITLIST_ONLY)} waiting list only, "
            f"{states.count(Center.State.NO_VACCINE)} without vaccine"
        )
        self.stdout.write(
            f"  {Delivery.objects.count()} deliveries, {Slot.objects.count()} slots, "
            f"{Series.objects.active().count()} booked series, "
            f"{Entry.objects.filter(status__in=Entry.ACTIVE).count()} waiting places, "
            f"{Message.objects.count()} messages in the outbox"
        )
        self.stdout.write(f"  Admin: admin / {DEMO_PASSWORD}")
        self.stdout.write(f"  Staff: staff-<slug> / {DEMO_PASSWORD} (one per center), e.g.")
        by_slug = {center.slug: center for center in Center.objects.with_availability()}
        for slug in STAFF_EXAMPLES:
            if slug in by_slug:
                center = by_slug[slug]
                self.stdout.write(f"    staff-{slug}: {center.name}, {center.state.label}")
        self.stdout.write(f"  Ministry: ministerium / {DEMO_PASSWORD}")
        self.stdout.write(f"  Hotline agent: hotline / {DEMO_PASSWORD}")
