"""Operators schedule openings and watch the room (queue, rate, estimate).

The figures on the openings' list come live from Redis (``room.figures``);
center staff have no permission on this app, so they see none of it.
"""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from waitingroom import openings, room
from waitingroom.models import Opening, QueueDay


@admin.register(Opening)
class OpeningAdmin(admin.ModelAdmin):
    list_display = ["name", "opens_at", "prequeue_starts_at", "mode", "prequeue_size"]
    fields = [
        "name",
        "group",
        "vaccine",
        "mode",
        "prequeue_starts_at",
        "opens_at",
        "commitment",
        "key_after_opening",
        "public_page",
    ]
    readonly_fields = ["commitment", "key_after_opening", "public_page"]
    change_list_template = "admin/waitingroom/opening/change_list.html"

    @admin.display(description=_("key"))
    def key_after_opening(self, obj: Opening) -> str:
        if obj.pk is None:
            return "-"
        return obj.revealed_key() or str(_("secret until the opening"))

    @admin.display(description=_("public page"))
    def public_page(self, obj: Opening) -> str:
        if obj.pk is None:
            return "-"
        url = reverse("waitingroom:opening", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.display(description=_("tickets in the pre-queue"))
    def prequeue_size(self, obj: Opening) -> int:
        return obj.prequeue.count()

    def save_model(self, request, obj: Opening, form, change) -> None:
        super().save_model(request, obj, form, change)
        eligibility = openings.schedule_eligibility(obj)
        if eligibility is None:
            return
        when = formats.date_format(
            timezone.localtime(eligibility.opened_at), "SHORT_DATETIME_FORMAT"
        )
        self.message_user(
            request,
            _("%(group)s may use %(vaccine)s (%(scope)s) from %(when)s.")
            % {
                "group": eligibility.group,
                "vaccine": eligibility.vaccine,
                "scope": eligibility.get_scope_display(),
                "when": when,
            },
            messages.INFO,
        )

    def delete_model(self, request, obj: Opening) -> None:
        openings.unschedule_eligibility(obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for opening in queryset:
            openings.unschedule_eligibility(opening)
        super().delete_queryset(request, queryset)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "room": room.figures()}
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(QueueDay)
class QueueDayAdmin(admin.ModelAdmin):
    list_display = ["day", "joined", "admitted", "peak"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
