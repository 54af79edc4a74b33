from django.urls import path

from waitlist import views

app_name = "waitlist"
urlpatterns = [
    path("waiting-list/", views.my_places, name="my_places"),
    path("waiting-list/<int:person_id>/join/", views.choose_scope, name="choose_scope"),
    path("waiting-list/<int:person_id>/join/district/", views.join, name="join_district"),
    path(
        "waiting-list/<int:person_id>/join/center/<slug:center_slug>/",
        views.join,
        name="join_center",
    ),
    path("waiting-list/place/<int:entry_id>/leave/", views.leave, name="leave"),
    path("waiting-list/place/<int:entry_id>/reactivate/", views.reactivate, name="reactivate"),
    # The short link in the offer SMS.
    path("offer/<int:offer_id>/answered/", views.answered, name="answered"),
    path("offer/<int:offer_id>/<str:token>/", views.offer, name="offer"),
    path("offer/<int:offer_id>/<str:token>/accept/", views.accept, name="accept"),
    path("offer/<int:offer_id>/<str:token>/decline/", views.decline, name="decline"),
]
