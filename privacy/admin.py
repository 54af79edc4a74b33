from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from impfportal.admin_views import SuperuserReadOnlyAdmin
from privacy.models import PurgeRecord


@admin.register(PurgeRecord)
class PurgeRecordAdmin(SuperuserReadOnlyAdmin):
    """What each purge deleted, for operators; written only by the purge."""

    list_display = ["ran_at", "total", "stats_final_through"]
    fields = ["ran_at", "stats_final_through", "rows"]
    readonly_fields = ["ran_at", "stats_final_through", "rows"]

    @admin.display(description=_("rows"))
    def total(self, record: PurgeRecord) -> int:
        return record.total

    @admin.display(description=_("rows per model"))
    def rows(self, record: PurgeRecord) -> str:
        return format_html_join("", "<div>{}: {}</div>", sorted(record.counts.items())) or "-"
