"""Waiting places and offers, for operators: read-only, because every change must
go through the exchange (seats are held and released only by its services).

Superusers only, whatever permissions a group grants: a district-wide waiting
place belongs to no center, so center staff (``centers.admin_scoping``) could
not be limited to their own; the waiting list is not part of their work.
"""

from django.contrib import admin

from impfportal.admin_views import SuperuserReadOnlyAdmin
from waitlist.models import Entry, Offer


class OfferInline(admin.TabularInline):
    model = Offer
    fields = ("first_slot", "second_slot", "status", "created_at", "deadline", "ended_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Entry)
class EntryAdmin(SuperuserReadOnlyAdmin):
    list_display = ["pk", "district", "center", "priority_rank", "status", "joined_at"]
    list_filter = ["status", "priority_rank", "district"]
    list_select_related = ["district", "center"]
    date_hierarchy = "joined_at"
    inlines = [OfferInline]


@admin.register(Offer)
class OfferAdmin(SuperuserReadOnlyAdmin):
    list_display = ["pk", "entry", "first_slot", "status", "created_at", "deadline"]
    list_filter = ["status"]
    list_select_related = ["entry", "first_slot__center", "first_slot__vaccine"]
    date_hierarchy = "created_at"
    exclude = ["token_hash"]
