from django.urls import path

from waitingroom import views

app_name = "waitingroom"
urlpatterns = [
    path("waiting-room/", views.queue, name="queue"),
    path("openings/<int:opening_id>/", views.opening, name="opening"),
    path("openings/<int:opening_id>/prequeue.csv", views.opening_log, name="opening_log"),
]
