from django.urls import path

from booking import views

app_name = "booking"
urlpatterns = [
    path("book/", views.start, name="start"),
    path("book/people/", views.people, name="people"),
    path("book/<int:person_id>/", views.choose_center, name="choose_center"),
    path("book/<int:person_id>/<slug:center_slug>/", views.choose_day, name="choose_day"),
    path(
        "book/<int:person_id>/<slug:center_slug>/<str:day>/",
        views.choose_time,
        name="choose_time",
    ),
    path("booking/<str:booking_code>/", views.confirmation, name="confirmation"),
    path("cancel/", views.cancel_start, name="cancel_start"),
    path("my-appointments/", views.my_appointments, name="my_appointments"),
    path("cancel/<str:booking_code>/", views.cancel, name="cancel"),
]
