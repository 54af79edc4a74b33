from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from privacy.models import PurgeRecord


@admin.register(PurgeRecord)
class PurgeRecordAdmin(admin.ModelAdmin):
    """What each purge deleted, for operators; written only by the purge."""

    list_display = ["ran_at", "total", "stats_final_through"]
    fields = ["ran_at", "stats_final_through", "rows"]
    readonly_fields = ["ran_at", "stats_final_through", "rows"]

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("rows"))
    def total(self, record: PurgeRecord) -> int:
        return record.total

    @admin.display(description=_("rows per model"))
    def rows(self, record: PurgeRecord) -> str:
        return format_html_join("", "<div>{}: {}</div>", sorted(record.counts.items())) or "-"
