from django.urls import path

from stats import views

app_name = "stats"
urlpatterns = [
    path("statistics/", views.overview, name="overview"),
    path("statistics/days.csv", views.overview_csv, name="overview_csv"),
    path("statistics/areas/", views.breakdown, name="breakdown"),
    path("statistics/areas.csv", views.breakdown_csv, name="breakdown_csv"),
    path("statistics/draws/", views.draws, name="draws"),
    path("statistics/draws.csv", views.draws_csv, name="draws_csv"),
    path("statistics/login/", views.LoginView.as_view(), name="login"),
    path("statistics/logout/", views.LogoutView.as_view(), name="logout"),
    path("centers/availability.json", views.availability_json, name="availability_json"),
    path(
        "centers/<slug:slug>/availability/",
        views.center_availability,
        name="center_availability",
    ),
    path(
        "centers/<slug:slug>/availability.json",
        views.center_availability_json,
        name="center_availability_json",
    ),
]
