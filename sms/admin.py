from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from sms.models import Message
from sms.phone import mask
from sms.stats import ALARM_MIN_SENT, ALARM_MIN_VERIFIED_SHARE, code_traffic


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read-only view of the outbox for operators. Bodies may hold codes and
    stay hidden; numbers are masked (an exact number can still be searched)."""

    list_display = [
        "pk",
        "masked_recipient",
        "channel",
        "priority",
        "status",
        "delivery_status",
        "attempts",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "delivery_status", "priority", "channel"]
    search_fields = ["=recipient", "=provider_id"]
    fields = (
        "masked_recipient",
        "channel",
        "priority",
        "status",
        "attempts",
        "created_at",
        "send_before",
        "next_attempt_at",
        "sent_at",
        "provider_id",
        "delivery_status",
        "provider_status",
        "delivery_error_code",
        "delivery_reported_at",
        "last_error",
    )
    readonly_fields = fields
    change_list_template = "admin/sms/message/change_list.html"

    @admin.display(description=_("recipient"))
    def masked_recipient(self, message: Message) -> str:
        return mask(message.recipient)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        traffic = self.admin_site.admin_view(self.code_traffic_view)
        return [path("code-traffic/", traffic, name="sms_code_traffic"), *super().get_urls()]

    def code_traffic_view(self, request):
        """Codes sent vs. verified per hour: the SMS-pumping alarm."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Codes sent and verified per hour"),
            "opts": self.model._meta,
            "rows": code_traffic(hours=24),
            "alarm_min_sent": ALARM_MIN_SENT,
            "alarm_share": int(ALARM_MIN_VERIFIED_SHARE * 100),
        }
        return TemplateResponse(request, "admin/sms/code_traffic.html", context)
