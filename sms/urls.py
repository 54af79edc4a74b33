from django.urls import path

from sms import views

app_name = "sms"
urlpatterns = [
    path("verify/", views.phone, name="phone"),
    path("verify/code/", views.code, name="code"),
    path("verify/resend/", views.resend, name="resend"),
    path("verify/call/", views.call_instead, name="call_instead"),
    path("logout/", views.logout, name="logout"),
    path("sms/status/", views.status_callback, name="status_callback"),
]
