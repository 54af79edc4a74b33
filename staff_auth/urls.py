from django.urls import path

from staff_auth import views

app_name = "staff_auth"
urlpatterns = [
    path("staff/second-factor/", views.verify, name="verify"),
    path("staff/second-factor/setup/", views.enrol, name="enrol"),
]
