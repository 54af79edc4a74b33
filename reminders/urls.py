from django.urls import path

from reminders import views

app_name = "reminders"
urlpatterns = [
    # The token is a signed "<appointment>-<kind>:<signature>" (reminders.links).
    path("cannot-come/<str:token>/", views.cannot_come, name="cannot_come"),
]
