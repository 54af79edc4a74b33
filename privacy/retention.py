"""The retention registry: every model that holds personal data, what of it is
personal, after which event its purpose has ended, and how long it is kept after.

``REGISTRY`` is the one place to declare it. ``tests/privacy`` fails when a
model has a field that looks personal (``PERSONAL_FIELD_NAMES``,
``PERSONAL_FIELD_TYPES``) and no entry here that names it, and
``manage.py purge_personal_data`` runs the entries' steps in this order
(series and waiting places before the people they belong to, people before
their households).

Durations are settings (``RETENTION_*``, see the README); each step gets the
moment before which its event must lie (``cutoff``) and returns the rows it
deleted or blanked per model, as ``QuerySet.delete()`` counts them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from booking.models import Appointment, Household, Person, Series
from centers.models import AuditEntry
from hotline.models import AuditEntry as HotlineAuditEntry
from hotline.models import Grant
from sms.models import Message, PhoneVerification
from standby.models import Entry as StandbyEntry
from waitlist.models import Entry, Offer

FINISHED_STANDBY = [
    StandbyEntry.Status.SERVED,
    StandbyEntry.Status.LEFT,
    StandbyEntry.Status.LAPSED,
]

type Counts = dict[str, int]
type Step = Callable[[datetime], Counts]

# A field is personal when its name contains one of these, or it is one of
# these types. Deliberately broad: a false alarm costs one exemption below.
PERSONAL_FIELD_NAMES = (
    "phone",
    "mobile",
    "first_name",
    "last_name",
    "full_name",
    "birth",
    "email",
    "street",
    "address",
    "postal_code",
    "recipient",
    "body",
    "username",
    "object_repr",
    "change_message",
    "session_data",
    "traceback",
    "return_value",
    "args_kwargs",
    "last_error",
)
PERSONAL_FIELD_TYPES: tuple[type[models.Field], ...] = (
    models.EmailField,
    models.GenericIPAddressField,
)

# Fields that match the patterns above but hold nobody's data, and why.
NOT_PERSONAL: dict[str, str] = {
    "centers.center.street": "a vaccination center's address",
    "centers.center.postal_code": "a vaccination center's address",
}


class Action(StrEnum):
    DELETE = "delete"  # the rows go
    BLANK = "blank"  # the row stays (it is counted), its personal fields are emptied
    PSEUDONYMIZE = "pseudonymize"  # names of people are replaced by ids
    WITH_PARENT = "with parent"  # deleted by the parent's entry (on_delete=CASCADE)
    KEEP = "keep"  # not deleted automatically; ``event`` says why and who deletes


@dataclass(frozen=True)
class Retention:
    model: str  # app_label.ModelName, as in apps.get_model
    fields: tuple[str, ...]  # its personal fields
    action: Action
    event: str  # after which event the purpose has ended
    setting: str | None = None  # the duration's setting
    default: timedelta = timedelta(0)
    step: Step | None = None

    @property
    def duration(self) -> timedelta:
        if self.setting is None:
            return self.default
        value = getattr(settings, self.setting, None)
        if value is None:
            return self.default
        unit = "hours" if self.setting.endswith("_HOURS") else "days"
        return timedelta(**{unit: value})

    @property
    def label(self) -> str:
        return apps.get_model(self.model)._meta.label_lower


def _deleted(queryset: models.QuerySet) -> Counts:
    _total, per_model = queryset.delete()
    return {label.lower(): n for label, n in per_model.items() if n}


# --- the steps ------------------------------------------------------------------


def purge_series(cutoff: datetime) -> Counts:
    """A series (and its appointments) whose last appointment or cancellation
    lies before ``cutoff``. A series still awaiting a second-dose seat waits."""
    last = (
        Appointment.objects.filter(series=OuterRef("pk"))
        .order_by("-slot__starts_at")
        .values("slot__starts_at")[:1]
    )
    due = Series.objects.annotate(last_at=Subquery(last)).filter(
        Q(status=Series.Status.CANCELLED, cancelled_at__lt=cutoff)
        | (
            ~Q(status=Series.Status.CANCELLED)
            & Q(awaiting_second_dose_since__isnull=True, last_at__lt=cutoff)
        )
    )
    return _deleted(Series.objects.filter(pk__in=list(due.values_list("pk", flat=True))))


def purge_waiting_places(cutoff: datetime) -> Counts:
    """A waiting place (and its offers) that ended before ``cutoff`` and has no
    offer open or ended since."""
    recent_offer = Offer.objects.filter(entry=OuterRef("pk")).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=cutoff)
    )
    due = Entry.objects.filter(
        Q(status=Entry.Status.SERVED, served_at__lt=cutoff)
        | Q(status__in=[Entry.Status.LEFT, Entry.Status.CLOSED], left_at__lt=cutoff)
    ).exclude(Exists(recent_offer))
    return _deleted(Entry.objects.filter(pk__in=list(due.values_list("pk", flat=True))))


def purge_standby_entries(cutoff: datetime) -> Counts:
    """Standby entries whose day ended before ``cutoff`` (a person's day on the list)."""
    return _deleted(
        StandbyEntry.objects.filter(day__lt=timezone.localdate(cutoff), status__in=FINISHED_STANDBY)
    )


def _locked_then_rechecked(queryset: models.QuerySet, unused: Any) -> models.QuerySet:
    """Lock the candidates, then check again that nothing hangs on them.

    A booking that adds a series to a person needs a key-share lock on the
    person's row, so after this lock none can appear; the second query sees
    every one committed before it. Without the re-check the cascade would
    delete a series booked between the first query and the lock.
    """
    candidates = list(queryset.filter(unused).select_for_update().values_list("pk", flat=True))
    return queryset.model._default_manager.filter(pk__in=candidates).filter(unused)


def purge_people(cutoff: datetime) -> Counts:
    """A person added before ``cutoff`` with no series and no waiting place left."""
    unused = (
        ~Exists(Series.objects.filter(person=OuterRef("pk")))
        & ~Exists(Entry.objects.filter(person=OuterRef("pk")))
        & ~Exists(StandbyEntry.objects.filter(person=OuterRef("pk")))
    )
    return _deleted(_locked_then_rechecked(Person.objects.filter(created_at__lt=cutoff), unused))


def purge_households(cutoff: datetime) -> Counts:
    """A household (a phone number) created before ``cutoff`` with nobody left in it."""
    unused = ~Exists(Person.objects.filter(household=OuterRef("pk")))
    return _deleted(_locked_then_rechecked(Household.objects.filter(created_at__lt=cutoff), unused))


FINISHED_MESSAGES = [Message.Status.SENT, Message.Status.FAILED, Message.Status.DROPPED]


def blank_message_texts(cutoff: datetime) -> Counts:
    """Empty text, number and error of a message handed over (or given up) before ``cutoff``."""
    changed = (
        Message.objects.filter(status__in=FINISHED_MESSAGES, created_at__lt=cutoff)
        .exclude(body="", recipient="", last_error="")
        .update(body="", recipient="", last_error="")
    )
    return {"sms.message (texts blanked)": changed} if changed else {}


def purge_messages(cutoff: datetime) -> Counts:
    """The finished outbox rows themselves, once their days are counted for good."""
    return _deleted(
        Message.objects.filter(status__in=FINISHED_MESSAGES, created_at__lt=cutoff).exclude(
            sent_at__gte=cutoff
        )
    )


def purge_verifications(cutoff: datetime) -> Counts:
    return _deleted(PhoneVerification.objects.filter(expires_at__lt=cutoff))


def purge_sessions(cutoff: datetime) -> Counts:
    """What ``manage.py clearsessions`` does for the database (and cached_db) engine;
    the cached copy in Redis expires by itself."""
    return _deleted(Session.objects.filter(expire_date__lt=cutoff))


def purge_task_results(cutoff: datetime) -> Counts:
    """Finished background tasks (their arguments are ids, but a traceback may quote anything)."""
    return _deleted(
        DBTaskResult.objects.filter(finished_at__lt=cutoff).exclude(finished_at__isnull=True)
    )


def _people_models() -> list[str]:
    """The models whose rows describe residents: audit entries about them lose their names."""
    return [
        entry.label for entry in REGISTRY if entry.model.split(".")[0] in ("booking", "waitlist")
    ]


def pseudonymize_audit(cutoff: datetime) -> Counts:
    """Audit entries before ``cutoff`` about residents' rows keep the row's id only:
    ``object_repr`` becomes "#<id>" and Django's change messages (which quote
    inline objects) go."""
    labels = _people_models()
    entries = AuditEntry.objects.filter(object_type__in=labels, at__lt=cutoff)
    changed = entries.exclude(object_repr__startswith="#").update(
        object_repr=Concat(Value("#"), "object_id")
    )
    for entry in entries.filter(details__has_key="message").only("pk", "details"):
        details = dict(entry.details)
        details.pop("message")
        AuditEntry.objects.filter(pk=entry.pk).update(details=details)
        changed += 1
    return {"centers.auditentry (pseudonymized)": changed} if changed else {}


def purge_hotline_grants(cutoff: datetime) -> Counts:
    """An agent's authorisation for a household, once it ran out."""
    return _deleted(Grant.objects.filter(expires_at__lt=cutoff))


def purge_hotline_audit(cutoff: datetime) -> Counts:
    """The hotline's audit holds ids only (no names, numbers or codes), kept for
    the agents' accountability as long as the admin's log keeps names."""
    return _deleted(HotlineAuditEntry.objects.filter(at__lt=cutoff))


def pseudonymize_admin_log(cutoff: datetime) -> Counts:
    """The same for Django's own admin log (``object_repr`` is ``str(obj)``: a name)."""
    content_types = [apps.get_model(label).__name__.lower() for label in _people_models()]
    entries = LogEntry.objects.filter(
        content_type__app_label__in=["booking", "waitlist"],
        content_type__model__in=content_types,
        action_time__lt=cutoff,
    )
    changed = entries.exclude(object_repr__startswith="#", change_message="").update(
        object_repr=Concat(Value("#"), "object_id"), change_message=""
    )
    return {"admin.logentry (pseudonymized)": changed} if changed else {}


# --- the registry -----------------------------------------------------------------

DAYS = "RETENTION_DAYS"

REGISTRY: tuple[Retention, ...] = (
    Retention(
        "booking.Series",
        ("booking_code",),
        Action.DELETE,
        "its last appointment, or its cancellation",
        DAYS,
        timedelta(days=28),
        purge_series,
    ),
    Retention(
        "booking.Appointment",
        (),
        Action.WITH_PARENT,
        "deleted with its series",
    ),
    Retention(
        "waitlist.Entry",
        (),
        Action.DELETE,
        "the waiting place ended (served, left or closed) and its last offer ended",
        DAYS,
        timedelta(days=28),
        purge_waiting_places,
    ),
    Retention("waitlist.Offer", (), Action.WITH_PARENT, "deleted with its waiting place"),
    Retention(
        "reminders.Reminder", (), Action.WITH_PARENT, "deleted with its appointment's series"
    ),
    Retention(
        "standby.Entry",
        (),
        Action.DELETE,
        "its day ended (served, left or lapsed): the rounds' offers go with it",
        DAYS,
        timedelta(days=28),
        purge_standby_entries,
    ),
    Retention("standby.Offer", (), Action.WITH_PARENT, "deleted with its standby entry"),
    Retention(
        "draw.DrawEntry",
        ("person_key",),
        Action.WITH_PARENT,
        "deleted with its waiting place (the published protocol names nobody)",
    ),
    Retention(
        "booking.Person",
        ("first_name", "last_name", "date_of_birth", "postal_code"),
        Action.DELETE,
        "added, and no series or waiting place left",
        DAYS,
        timedelta(days=28),
        purge_people,
    ),
    Retention(
        "booking.Household",
        ("phone",),
        Action.DELETE,
        "created, and nobody left in it",
        DAYS,
        timedelta(days=28),
        purge_households,
    ),
    Retention(
        "sms.Message",
        ("recipient", "body", "last_error"),
        Action.BLANK,
        "handed to the provider (or failed, or dropped): text and number are emptied, "
        "the row stays for the code report and the counters",
        "RETENTION_MESSAGE_TEXT_HOURS",
        timedelta(hours=24),
        blank_message_texts,
    ),
    Retention(
        "sms.Message",
        ("recipient", "body", "last_error"),
        Action.DELETE,
        "handed to the provider (or failed, or dropped): the blanked row goes",
        DAYS,
        timedelta(days=28),
        purge_messages,
    ),
    Retention(
        "sms.PhoneVerification",
        ("phone",),
        Action.DELETE,
        "the code expired; kept for the hourly code limit per number and the "
        "24-hour code report (sms_code_stats)",
        "RETENTION_VERIFICATION_HOURS",
        timedelta(hours=24),
        purge_verifications,
    ),
    Retention(
        "sessions.Session",
        ("session_data",),
        Action.DELETE,
        "the session expired (clearsessions)",
        None,
        timedelta(0),
        purge_sessions,
    ),
    Retention(
        "django_tasks_database.DBTaskResult",
        ("args_kwargs", "return_value", "traceback"),
        Action.DELETE,
        "the task finished (successfully or not)",
        "RETENTION_TASK_RESULT_DAYS",
        timedelta(days=7),
        purge_task_results,
    ),
    Retention(
        "centers.AuditEntry",
        ("object_repr", "details", "username"),
        Action.PSEUDONYMIZE,
        "written: entries about residents' rows keep their ids only; the staff "
        "member's user name stays (accountability of staff)",
        DAYS,
        timedelta(days=28),
        pseudonymize_audit,
    ),
    Retention(
        "admin.LogEntry",
        ("object_repr", "change_message"),
        Action.PSEUDONYMIZE,
        "written: entries about residents' rows keep their ids only",
        DAYS,
        timedelta(days=28),
        pseudonymize_admin_log,
    ),
    Retention(
        "hotline.Grant",
        (),
        Action.DELETE,
        "the agent's 15 minutes for the household ran out (it links agent and household)",
        "RETENTION_VERIFICATION_HOURS",
        timedelta(hours=24),
        purge_hotline_grants,
    ),
    Retention(
        "hotline.AuditEntry",
        (),
        Action.DELETE,
        "written: agent, action and pseudonymous ids only",
        DAYS,
        timedelta(days=28),
        purge_hotline_audit,
    ),
    Retention(
        "auth.User",
        ("username", "first_name", "last_name", "email"),
        Action.KEEP,
        "staff and ministry accounts: kept while the account exists; operators "
        "delete leavers' accounts in the admin",
    ),
)


def entries_for(model: type[models.Model]) -> list[Retention]:
    label = model._meta.label_lower
    return [entry for entry in REGISTRY if entry.label == label]


def is_personal(field: models.Field) -> bool:
    name = field.name.lower()
    return isinstance(field, PERSONAL_FIELD_TYPES) or any(
        part in name for part in PERSONAL_FIELD_NAMES
    )


def undeclared_personal_fields(
    models_to_check: Iterable[type[models.Model]],
    registry: Iterable[Retention] = REGISTRY,
) -> list[str]:
    """``app.model.field`` of every personal-looking field that no registry
    entry names and ``NOT_PERSONAL`` does not excuse."""
    declared = {
        f"{apps.get_model(entry.model)._meta.label_lower}.{field}"
        for entry in registry
        for field in entry.fields
    }
    missing = []
    for model in models_to_check:
        for field in model._meta.concrete_fields:
            name = f"{model._meta.label_lower}.{field.name}"
            if is_personal(field) and name not in declared and name not in NOT_PERSONAL:
                missing.append(name)
    return missing
