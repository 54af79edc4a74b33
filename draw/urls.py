from django.urls import path

from draw import views

app_name = "draw"
urlpatterns = [
    path("draws/mine/", views.mine, name="mine"),
    path("draws/<int:opening_id>/", views.opening, name="opening"),
    path("draws/<int:opening_id>/protocol.csv", views.protocol, name="protocol"),
]
