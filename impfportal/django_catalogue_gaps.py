"""Strings of Django 6.1 that its own German catalogue does not translate yet.

Our catalogue (``LOCALE_PATHS``) is read before Django's, so listing them here
puts them into ``locale/de`` (``makemessages`` keeps them) and the German admin
shows no English. Delete an entry once Django's catalogue translates it
(``tests/staff/test_admin_in_german.py`` finds what is still missing).
"""

from django.utils.translation import gettext_noop

DJANGO_STRINGS = [
    # django/db/models/fields/__init__.py: the empty choice of every select
    gettext_noop("- Select an option -"),
    # django/contrib/admin templates
    gettext_noop("Run"),
    gettext_noop("Search %(name)s"),
    gettext_noop("Filter by %(field_name)s"),
    gettext_noop("Pagination %(name)s"),
    gettext_noop("Pagination %(name)s entries"),
    gettext_noop("Logout"),
    gettext_noop("In case you’ve forgotten, you are:"),  # noqa: RUF001
    gettext_noop("…and %(count)d more object."),
    gettext_noop(
        "Are you sure you want to delete the %(object_name)s “%(escaped_object)s”? All of "
        "the following related items will be deleted:"
    ),
    gettext_noop(
        "Deleting the %(object_name)s “%(escaped_object)s” would require deleting the "
        "following protected related objects:"
    ),
    gettext_noop(
        "Deleting the %(object_name)s “%(escaped_object)s” would result in deleting related "
        "objects, but your account doesn't have permission to delete the following types of "
        "objects:"
    ),
    # django/contrib/auth: the operator's user pages
    gettext_noop("Set password"),
    gettext_noop("Reset password"),
    gettext_noop("Password-based authentication"),
    gettext_noop("Enabled"),
    gettext_noop("Disabled"),
    gettext_noop(
        "Raw passwords are not stored, so there is no way to see the user’s password."  # noqa: RUF001
    ),
]
