from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from impfportal import views
from staff_auth.forms import StaffLoginForm

urlpatterns = [
    # First: the voice line's webhooks (hotline/urls.py says why).
    path("", include("hotline.urls")),
    path("", include("centers.urls")),
    path("", include("sms.urls")),
    path("", include("booking.urls")),
    path("", include("stats.urls")),
    path("", include("waitlist.urls")),
    path("", include("reminders.urls")),
    path("", include("standby.urls")),
    path("", include("door.urls")),
    path("", include("staff_auth.urls")),
    path("", include("waitingroom.urls")),
    path("", include("draw.urls")),
    path("", include("privacy.urls")),
    path("imprint/", views.imprint, name="imprint"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("easy-language/", views.easy_language, name="easy_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# The admin is where center staff work: name it after the portal, not Django.
admin.site.site_header = _("Impfportal Niedersachsen: administration")
admin.site.site_title = _("Impfportal administration")
# Failed logins are counted and locked out per account and address (staff_auth.throttle).
admin.site.login_form = StaffLoginForm
