"""German date and time formats, on top of Django's own (django/conf/locale/de).

The names ending in ``_FORMAT`` beyond Django's are the portal's own; the
``date`` and ``time`` filters and ``formats.date_format`` look them up here
by name, so a template never spells out a language's pattern. Every name
must exist for every language (an unknown name is used as the pattern).
"""

DATE_FORMAT = "j. F Y"
# "Samstag, 5. Dezember 2026"
WEEKDAY_DATE_FORMAT = "l, j. F Y"
# "Samstag, 5. Dezember 2026, 09:00 Uhr"
WEEKDAY_DATETIME_FORMAT = r"l, j. F Y, H:i \U\h\r"
# "09:00 Uhr"
TIME_OF_DAY_FORMAT = r"H:i \U\h\r"
# Short, for a text message: "Sa 05.12.2026 09:00"
SMS_DATETIME_FORMAT = "D d.m.Y H:i"
SHORT_WEEKDAY_DATE_FORMAT = "D d.m.Y"
SHORT_DAY_MONTH_FORMAT = "d.m."
WEEKDAY_DAY_MONTH_FORMAT = "l, j. F"
SHORT_WEEKDAY_HOUR_FORMAT = "D d.m. H:00"
