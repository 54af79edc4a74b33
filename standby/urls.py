from django.urls import path

from standby import views

app_name = "standby"
urlpatterns = [
    path("standby/", views.join, name="join"),
    path("standby/<int:entry_id>/leave/", views.leave, name="leave"),
    path("standby/offer/<int:offer_id>/<str:token>/", views.offer, name="offer"),
]
