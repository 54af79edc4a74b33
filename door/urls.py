from django.urls import path

from door import views

app_name = "door"
urlpatterns = [
    path("staff/day/", views.day, name="day"),
    path("staff/day/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("staff/day/<int:pk>/no-show/", views.no_show, name="no_show"),
    path("staff/day/<int:pk>/undo/", views.undo, name="undo"),
    path("staff/day/offer-leftovers/", views.offer_leftovers, name="offer_leftovers"),
]
