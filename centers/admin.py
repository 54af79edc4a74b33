from django.contrib import admin

from centers.models import Center, Delivery, District, PostalCode, Slot, Vaccine


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(PostalCode)
class PostalCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "town", "district"]
    list_select_related = ["district"]
    search_fields = ["code", "town"]


@admin.register(Center)
class CenterAdmin(admin.ModelAdmin):
    list_display = ["name", "town", "district"]
    list_filter = ["district"]
    list_select_related = ["district"]
    search_fields = ["name", "town", "postal_code"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["staff"]


@admin.register(Vaccine)
class VaccineAdmin(admin.ModelAdmin):
    list_display = ["name", "second_dose_interval_days"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["center", "vaccine", "doses", "delivered_on"]
    list_filter = ["vaccine", "delivered_on"]
    list_select_related = ["center", "vaccine"]


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["center", "vaccine", "starts_at", "capacity", "booked"]
    list_filter = ["vaccine", "starts_at"]
    list_select_related = ["center", "vaccine"]
    readonly_fields = ["booked"]
