from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("centers.urls")),
    path("", include("sms.urls")),
    path("", include("booking.urls")),
    path("", include("stats.urls")),
    path("", include("waitlist.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
