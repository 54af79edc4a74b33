from django.urls import path, register_converter

from booking import household_views, views


class BookingCodeConverter:
    """A booking code's letters, digits and dash; anything else is not found
    without reaching the database (which refuses e.g. a NUL character)."""

    regex = "[A-Za-z0-9-]{1,20}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(BookingCodeConverter, "booking_code")

app_name = "booking"
urlpatterns = [
    path("book/", views.start, name="start"),
    path("book/people/", views.people, name="people"),
    path(
        "book/people/<int:person_id>/change/",
        household_views.correct_person,
        name="correct_person",
    ),
    path(
        "book/people/<int:person_id>/remove/",
        household_views.confirm_removal,
        name="confirm_removal",
    ),
    path(
        "book/people/<int:person_id>/remove/confirmed/",
        household_views.remove_person,
        name="remove_person",
    ),
    path("book/<int:person_id>/", views.choose_center, name="choose_center"),
    path("book/<int:person_id>/<slug:center_slug>/", views.choose_day, name="choose_day"),
    path(
        "book/<int:person_id>/<slug:center_slug>/<str:day>/",
        views.choose_time,
        name="choose_time",
    ),
    path("booking/<booking_code:booking_code>/", views.confirmation, name="confirmation"),
    path("cancel/", views.cancel_start, name="cancel_start"),
    path("my-appointments/", views.my_appointments, name="my_appointments"),
    path("cancel/<booking_code:booking_code>/", views.cancel, name="cancel"),
]
