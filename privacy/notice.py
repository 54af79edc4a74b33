"""The privacy notice's "how long we keep it", read from the retention registry.

Each resident-facing entry of ``privacy.retention.REGISTRY`` gets a plain
sentence here; its duration comes from the entry (the ``RETENTION_*``
settings), so the notice says what the purge does. An entry is either
described or listed in ``NOT_DESCRIBED`` with the reason:
``tests/privacy/test_notice_covers_the_registry.py`` fails otherwise.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from impfportal.durations import describe_period
from privacy.retention import REGISTRY, Action

type Key = tuple[str, Action]

# In the order a resident reads them: who, what was booked, the messages.
SENTENCES: dict[Key, Promise] = {
    ("booking.Household", Action.DELETE): _(
        "The phone number of your household: once nobody of the household is left, "
        "at the earliest %(duration)s after it was entered."
    ),
    ("booking.Person", Action.DELETE): _(
        "Name, date of birth and postal code of a person: once the person has no "
        "appointments and no waiting-list place left, at the earliest %(duration)s after "
        "they were entered."
    ),
    ("booking.Series", Action.DELETE): _(
        "Appointments and booking code: %(duration)s after the last appointment or after "
        "the cancellation."
    ),
    ("waitlist.Entry", Action.DELETE): _(
        "A place on the waiting list, with your wishes and the appointments offered to you: "
        "%(duration)s after the place ended (you got an appointment, left the list or the "
        "list was closed)."
    ),
    ("standby.Entry", Action.DELETE): _(
        "A place on a center's standby list for leftover doses: %(duration)s after that day."
    ),
    ("sms.Message", Action.BLANK): _(
        "The text of a message (text message or call) and the number it went to: "
        "%(duration)s after it was handed to the provider."
    ),
    ("sms.Message", Action.DELETE): _(
        "The record that a message was sent and whether it arrived: %(duration)s after sending."
    ),
    ("sms.PhoneVerification", Action.DELETE): _(
        "A code and the number it was sent to: %(duration)s after the code expired. "
        "We store codes only in a form that nobody can read back."
    ),
    ("centers.AuditEntry", Action.PSEUDONYMIZE): _(
        "Records of what center staff changed for you: after %(duration)s they keep only "
        "a number instead of your name."
    ),
}

# Entries the notice leaves out, and why.
NOT_DESCRIBED: dict[Key, str] = {
    ("booking.Appointment", Action.WITH_PARENT): "goes with its series",
    ("waitlist.Offer", Action.WITH_PARENT): "goes with its waiting place",
    ("reminders.Reminder", Action.WITH_PARENT): "goes with its series",
    ("standby.Offer", Action.WITH_PARENT): "goes with its standby entry",
    ("draw.DrawEntry", Action.WITH_PARENT): "goes with its waiting place",
    ("sessions.Session", Action.DELETE): "the notice's cookie section names the idle logout",
    ("django_tasks_database.DBTaskResult", Action.DELETE): "ids only; internal",
    ("admin.LogEntry", Action.PSEUDONYMIZE): "the same as centers.AuditEntry, said once",
    ("hotline.Grant", Action.DELETE): "links an agent and a household for minutes; internal",
    ("hotline.AuditEntry", Action.DELETE): "ids only, no personal data",
    ("auth.User", Action.KEEP): "staff accounts, not residents",
}


def retention_sentences() -> list[str]:
    """The notice's list, in the active language, with today's settings."""
    durations = {(entry.model, entry.action): entry.duration for entry in REGISTRY}
    return [
        sentence % {"duration": describe_period(durations[key])}
        for key, sentence in SENTENCES.items()
    ]
