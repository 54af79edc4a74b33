from django.contrib import admin

from booking.models import Appointment, PriorityGroup, Series, VaccineOpening


@admin.register(PriorityGroup)
class PriorityGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "rank", "min_age"]


@admin.register(VaccineOpening)
class VaccineOpeningAdmin(admin.ModelAdmin):
    list_display = ["vaccine", "group", "scope", "opened_at"]
    list_select_related = ["vaccine", "group"]


class AppointmentInline(admin.TabularInline):
    model = Appointment
    fields = ["dose", "slot", "status"]
    readonly_fields = ["dose", "slot"]
    extra = 0
    can_delete = False


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["booking_code", "center", "vaccine", "status", "created_at"]
    list_filter = ["status", "vaccine"]
    list_select_related = ["center", "vaccine"]
    search_fields = ["booking_code"]
    readonly_fields = ["person", "center", "vaccine", "booking_code", "request_token", "created_at"]
    inlines = [AppointmentInline]
