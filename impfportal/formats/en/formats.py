"""English date and time formats (British order), on top of Django's own.

The same names as in ``impfportal/formats/de/formats.py``.
"""

DATE_FORMAT = "j F Y"
# "Saturday, 5 December 2026"
WEEKDAY_DATE_FORMAT = "l, j F Y"
# "Saturday, 5 December 2026, 09:00"
WEEKDAY_DATETIME_FORMAT = "l, j F Y, H:i"
# "09:00"
TIME_OF_DAY_FORMAT = "H:i"
# Short, for a text message: "Sat 5 Dec 2026 09:00"
SMS_DATETIME_FORMAT = "D j M Y H:i"
SHORT_WEEKDAY_DATE_FORMAT = "D d/m/Y"
SHORT_DAY_MONTH_FORMAT = "d/m"
WEEKDAY_DAY_MONTH_FORMAT = "l, j F"
SHORT_WEEKDAY_HOUR_FORMAT = "D d/m H:00"
# Django's English short forms are American (12/05/2026, 9 a.m.); the portal's
# English is British, as above: "05/12/2026", "05/12/2026 09:00".
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
