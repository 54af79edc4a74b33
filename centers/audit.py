"""The audit log of staff changes: writing entries and saying what they mean.

Entries are written in the transaction of the change they describe, so a change
that rolls back leaves no entry and a committed one always has its entry.
``details`` stores facts, not sentences; ``describe`` words them in the
reader's language when the log is shown.
"""

import json
from collections.abc import Iterable
from datetime import date

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.db import models
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from centers.models import AuditEntry

Action = AuditEntry.Action


def _entry(*, user, center_id: int, action: str, obj: models.Model, details: dict) -> AuditEntry:
    return AuditEntry(
        center_id=center_id,
        user=user if user is not None and user.pk else None,
        username=user.get_username() if user is not None else "",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk or ""),
        object_repr=str(obj)[:200],
        details=details,
    )


def record(
    *, user, center_id: int, action: str, obj: models.Model, details: dict | None = None
) -> AuditEntry:
    """Write one entry: ``user`` did ``action`` to ``obj`` at the center."""
    entry = _entry(user=user, center_id=center_id, action=action, obj=obj, details=details or {})
    entry.save()
    return entry


def record_many(
    *, user, action: str, entries: Iterable[tuple[int, models.Model, dict]]
) -> list[AuditEntry]:
    """One entry per ``(center_id, object, details)``, in one INSERT (bulk actions)."""
    rows = [
        _entry(user=user, center_id=center_id, action=action, obj=obj, details=details)
        for center_id, obj, details in entries
    ]
    return AuditEntry.objects.bulk_create(rows)


def record_export(*, user, model: type[models.Model], rows_per_center: dict[int, int]) -> None:
    """Who downloaded how many rows of a list (personal data) for each center."""
    AuditEntry.objects.bulk_create(
        AuditEntry(
            center_id=center_id,
            user=user if user.pk else None,
            username=user.get_username(),
            action=Action.EXPORTED,
            object_type=model._meta.label_lower,
            object_repr=str(model._meta.verbose_name_plural)[:200],
            details={"rows": rows},
        )
        for center_id, rows in sorted(rows_per_center.items())
    )


def object_type_name(entry: AuditEntry) -> str:
    try:
        return str(apps.get_model(entry.object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return entry.object_type


def _day(value: str) -> str:
    return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")


def _hotline_part(facts: dict) -> str:
    held = facts.get("hotline_appointments", 0)
    if not held:
        return ""
    return "; " + _("%(count)d of them held for the hotline") % {"count": held}


def describe(entry: AuditEntry) -> str:
    """The entry's details as a sentence for the reader (empty if there is nothing to add)."""
    facts = entry.details or {}
    if entry.action in (Action.ADDED, Action.CHANGED) and "message" in facts:
        # Django's own change message format: reuse its (translated) wording.
        return LogEntry(change_message=json.dumps(facts["message"])).get_change_message()
    if entry.action == Action.RELEASED:
        return _(
            "%(appointments)d first-dose appointments from %(first)s to %(last)s, "
            "binding %(doses)d doses with the second doses"
        ) % {
            "appointments": facts["appointments"],
            "doses": facts["doses"],
            "first": _day(facts["first_day"]),
            "last": _day(facts["last_day"]),
        } + _hotline_part(facts)
    if entry.action == Action.EXPORTED:
        rows = facts.get("rows", 0)
        return ngettext("%(rows)d row exported", "%(rows)d rows exported", rows) % {"rows": rows}
    if entry.action == Action.DAY_CANCELLED:
        if facts.get("second_dose_of"):
            return _("Second dose, cancelled with the first dose on %(day)s") % {
                "day": _day(facts["second_dose_of"])
            }
        return _("Appointment on %(day)s; the person was told by SMS") % {"day": _day(facts["day"])}
    if "day" in facts:
        return _("Appointment on %(day)s") % {"day": _day(facts["day"])}
    return ""
