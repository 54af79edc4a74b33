"""Durations in words, in the active language, for every app's pages and messages."""

from datetime import timedelta

from django.utils.translation import ngettext


def describe_duration(duration: timedelta) -> str:
    """ "12 hours", "1 hour 30 minutes", "30 minutes", in the active language."""
    minutes = int(duration.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if minutes or not hours:
        parts.append(
            ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        )
    return " ".join(parts)


def describe_seconds(seconds: int) -> str:
    """A setting given in seconds (e.g. a code's validity), in words."""
    return describe_duration(timedelta(seconds=seconds))


def describe_period(duration: timedelta) -> str:
    """A retention period: "28 days" when it is whole days, else in hours and minutes."""
    days, rest = divmod(duration, timedelta(days=1))
    if days and not rest:
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    return describe_duration(duration)
