from django.urls import path

from sms import views

app_name = "sms"
urlpatterns = [
    path("verify/", views.phone, name="phone"),
    path("verify/code/", views.code, name="code"),
    path("verify/resend/", views.resend, name="resend"),
    path("logout/", views.logout, name="logout"),
]
