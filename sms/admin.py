from django.contrib import admin

from sms.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read-only view of the outbox for operators; bodies may hold codes and stay hidden."""

    list_display = ["pk", "channel", "priority", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "priority", "channel"]
    fields = ("channel", "priority", "status", "attempts", "created_at", "sent_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
