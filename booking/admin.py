import re
from datetime import date, timedelta

from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from booking import admin_day, staff
from booking.errors import BookingError
from booking.models import Appointment, Person, PriorityGroup, Series, VaccineOpening
from centers.admin_scoping import CenterScopedAdmin
from sms.phone import mask

Status = Appointment.Status
BOOKING_CODE = re.compile(r"^\s*([A-Za-z0-9]{4})-?([A-Za-z0-9]{4})\s*$")


@admin.register(PriorityGroup)
class PriorityGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "rank", "min_age"]


@admin.register(VaccineOpening)
class VaccineOpeningAdmin(admin.ModelAdmin):
    list_display = ["vaccine", "group", "scope", "opened_at"]
    list_select_related = ["vaccine", "group"]


class ViewOnlyAdmin(CenterScopedAdmin):
    """Bookings change only through the booking rules (resident pages, staff actions)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BookingCodeSearch(admin.ModelAdmin):
    """A booking code finds its row however it is typed: "abcd efgh", "ABCD-EFGH"."""

    booking_code_field = "booking_code"

    def get_search_results(self, request, queryset, search_term):
        match = BOOKING_CODE.match(search_term.replace(" ", ""))
        if match:
            code = f"{match[1]}-{match[2]}".upper()
            return queryset.filter(**{self.booking_code_field: code}), False
        return super().get_search_results(request, queryset, search_term)


def _phone(person: Person) -> str:
    return mask(person.household.phone)


class DayFilter(admin.SimpleListFilter):
    """The day list: today's appointments unless another day (or all days) is chosen.

    Searching without a chosen day searches every day.
    """

    title = _("day")
    parameter_name = "day"
    ALL = "all"

    def __init__(self, request, params, model, model_admin):
        self.request = request
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        today = timezone.localdate()
        return [
            ((today - timedelta(days=1)).isoformat(), _("Yesterday")),
            (today.isoformat(), _("Today")),
            ((today + timedelta(days=1)).isoformat(), _("Tomorrow")),
            ((today + timedelta(days=2)).isoformat(), _("The day after tomorrow")),
            (self.ALL, _("All days")),
        ]

    def chosen(self, request) -> str:
        value = self.value()
        if value:
            return value
        return self.ALL if request.GET.get("q") else timezone.localdate().isoformat()

    def choices(self, changelist):
        chosen = self.chosen(self.request)
        for value, title in self.lookup_choices:
            yield {
                "selected": chosen == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": title,
            }
        if chosen not in {value for value, _title in self.lookup_choices}:
            yield {
                "selected": True,
                "query_string": changelist.get_query_string({self.parameter_name: chosen}),
                "display": formats.date_format(date.fromisoformat(chosen), "SHORT_DATE_FORMAT"),
            }

    def queryset(self, request, queryset):
        chosen = self.chosen(request)
        if chosen == self.ALL:
            return queryset
        try:
            day = date.fromisoformat(chosen)
        except ValueError:
            raise IncorrectLookupParameters(chosen) from None
        start, end = staff.day_bounds(day)
        return queryset.filter(slot__starts_at__gte=start, slot__starts_at__lt=end)


@admin.register(Appointment)
class AppointmentAdmin(BookingCodeSearch, ViewOnlyAdmin):
    """The day list of a center: who comes when; check-in and no-show per row or in bulk."""

    center_lookup = "slot__center"
    booking_code_field = "series__booking_code"
    list_display = [
        "time",
        "person_name",
        "date_of_birth",
        "phone",
        "dose",
        "vaccine",
        "status",
        "booking_code",
        "buttons",
    ]
    list_display_links = ["person_name"]
    list_filter = [
        DayFilter,
        "status",
        ("slot__vaccine", admin.RelatedFieldListFilter),
        "dose",
        ("slot__center", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["slot__center", "slot__vaccine", "series__person__household"]
    list_per_page = 200
    ordering = ["slot__starts_at", "series__person__last_name", "pk"]
    search_fields = ["series__booking_code", "series__person__last_name"]
    search_help_text = _("Booking code or last name")
    actions = ["check_in_selected", "mark_no_show_selected", "export_csv"]
    fields = (
        "time",
        "person_name",
        "date_of_birth",
        "phone",
        "dose",
        "vaccine",
        "status",
        "booking_code",
    )
    readonly_fields = fields
    csv_columns = (
        (_("time"), lambda a: timezone.localtime(a.slot.starts_at).strftime("%d.%m.%Y %H:%M")),
        (_("Vaccination center"), lambda a: a.slot.center.name),
        (_("last name"), lambda a: a.series.person.last_name),
        (_("first name"), lambda a: a.series.person.first_name),
        (_("date of birth"), lambda a: a.series.person.date_of_birth.strftime("%d.%m.%Y")),
        (_("phone number"), lambda a: _phone(a.series.person)),
        (_("dose"), lambda a: a.dose),
        (_("Vaccine"), lambda a: a.slot.vaccine.name),
        (_("status"), lambda a: a.get_status_display()),
        (_("booking code"), lambda a: a.series.booking_code),
    )

    def get_export_queryset(self, queryset):
        return queryset.select_related(*self.list_select_related, "series")

    # --- columns ---------------------------------------------------------------

    @admin.display(description=_("time"), ordering="slot__starts_at")
    def time(self, a: Appointment) -> str:
        return formats.date_format(timezone.localtime(a.slot.starts_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("name"), ordering="series__person__last_name")
    def person_name(self, a: Appointment) -> str:
        person = a.series.person
        return f"{person.last_name}, {person.first_name}"

    @admin.display(description=_("date of birth"))
    def date_of_birth(self, a: Appointment) -> str:
        # A read-only field shows a method's value as text, unlocalised: format it here.
        return formats.date_format(a.series.person.date_of_birth)

    @admin.display(description=_("phone number"))
    def phone(self, a: Appointment) -> str:
        return _phone(a.series.person)

    @admin.display(description=_("Vaccine"), ordering="slot__vaccine__name")
    def vaccine(self, a: Appointment) -> str:
        return a.slot.vaccine.name

    @admin.display(description=_("booking code"), ordering="series__booking_code")
    def booking_code(self, a: Appointment) -> str:
        return a.series.booking_code

    @admin.display(description=_("record"))
    def buttons(self, a: Appointment) -> str:
        """Buttons inside the list's own form: one press per person, no JavaScript."""
        buttons = []
        if a.status in (Status.BOOKED, Status.NO_SHOW) and (
            timezone.localdate(a.slot.starts_at) <= timezone.localdate()
        ):
            buttons.append(("booking_appointment_check_in", "default", _("Vaccinated")))
        if a.status == Status.BOOKED and a.slot.starts_at <= timezone.now():
            buttons.append(("booking_appointment_no_show", "", _("Did not come")))
        return format_html_join(
            " ",
            '<button type="submit" class="button {}" formaction="{}" name="appointment" '
            'value="{}">{}</button>',
            (
                (css, reverse(f"admin:{name}", args=[a.pk]), a.pk, label)
                for name, css, label in buttons
            ),
        )

    def get_list_display(self, request):
        if self.has_check_in_permission(request):
            return self.list_display
        return [column for column in self.list_display if column != "buttons"]

    # --- actions ---------------------------------------------------------------

    def has_check_in_permission(self, request) -> bool:
        return request.user.has_perm("booking.check_in")

    def has_cancel_day_permission(self, request) -> bool:
        return request.user.has_perm("booking.cancel_day")

    def _run(self, request, service, appointment_ids, done_message) -> None:
        try:
            count = service(appointment_ids=appointment_ids, by=request.user)
        except BookingError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, done_message(count), messages.SUCCESS)

    @admin.action(
        description=_("Record selected people as vaccinated"),
        permissions=["check_in"],
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def check_in_selected(self, request, queryset):
        self._run(
            request,
            staff.check_in,
            list(queryset.values_list("pk", flat=True)),
            lambda n: (
                ngettext(
                    "%(count)d person recorded as vaccinated.",
                    "%(count)d people recorded as vaccinated.",
                    n,
                )
                % {"count": n}
            ),
        )

    @admin.action(
        description=_("Record selected people as not come"),
        permissions=["check_in"],
        location=[ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM],
    )
    def mark_no_show_selected(self, request, queryset):
        self._run(
            request,
            staff.mark_no_show,
            list(queryset.values_list("pk", flat=True)),
            lambda n: (
                ngettext(
                    "%(count)d person recorded as not come.",
                    "%(count)d people recorded as not come.",
                    n,
                )
                % {"count": n}
            ),
        )

    # --- pages -----------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/check-in/", view(self.check_in_view), name="booking_appointment_check_in"
            ),
            path("<int:pk>/no-show/", view(self.no_show_view), name="booking_appointment_no_show"),
            path("close-day/", view(self.close_day_view), name="booking_appointment_close_day"),
            path("cancel-day/", view(self.cancel_day_view), name="booking_appointment_cancel_day"),
            *super().get_urls(),
        ]

    def _back(self, request):
        referer = request.headers.get("referer", "")
        if url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(referer)
        return redirect("admin:booking_appointment_changelist")

    def _row_action(self, request, pk, service, done_message):
        if not self.has_check_in_permission(request):
            raise PermissionDenied
        appointment = self.get_object(request, str(pk))  # another center's: 404
        self._run(request, service, [appointment.pk], lambda _n: done_message(appointment))
        return self._back(request)

    @method_decorator(require_POST)
    def check_in_view(self, request, pk: int):
        return self._row_action(
            request,
            pk,
            staff.check_in,
            lambda a: _("%(name)s recorded as vaccinated.") % {"name": a.series.person},
        )

    @method_decorator(require_POST)
    def no_show_view(self, request, pk: int):
        return self._row_action(
            request,
            pk,
            staff.mark_no_show,
            lambda a: _("%(name)s recorded as not come.") % {"name": a.series.person},
        )

    @method_decorator(require_http_methods(["GET", "POST"]))
    def close_day_view(self, request):
        if not self.has_check_in_permission(request):
            raise PermissionDenied
        return admin_day.close_day_page(self, request)

    @method_decorator(require_http_methods(["GET", "POST"]))
    def cancel_day_view(self, request):
        if not self.has_cancel_day_permission(request):
            raise PermissionDenied
        return admin_day.cancel_day_page(self, request)


class AppointmentInline(admin.TabularInline):
    model = Appointment
    fields = ("dose", "slot", "status")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("slot__center", "slot__vaccine")


class AwaitingSecondDoseFilter(admin.SimpleListFilter):
    """Series whose second-dose day the center cancelled with no other seat free:
    they get the next second-dose seat that frees up (``booking.second_doses``)."""

    title = _("second dose")
    parameter_name = "awaiting_second_dose"

    def lookups(self, request, model_admin):
        return [("yes", _("waiting for a new appointment"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.awaiting_second_dose()
        return queryset


@admin.register(Series)
class SeriesAdmin(BookingCodeSearch, ViewOnlyAdmin):
    list_display = [
        "booking_code",
        "person",
        "center",
        "vaccine",
        "status",
        "awaiting_second_dose_since",
        "created_at",
    ]
    list_filter = [
        "status",
        AwaitingSecondDoseFilter,
        "vaccine",
        ("center", admin.RelatedOnlyFieldListFilter),
        "created_at",
    ]
    list_select_related = ["person", "center", "vaccine"]
    search_fields = ["booking_code", "person__last_name"]
    search_help_text = _("Booking code or last name")
    fields = (
        "booking_code",
        "person",
        "center",
        "vaccine",
        "status",
        "created_at",
        "cancelled_at",
        "cancel_reason",
        "awaiting_second_dose_since",
    )
    readonly_fields = fields
    inlines = [AppointmentInline]


@admin.register(Person)
class PersonAdmin(ViewOnlyAdmin):
    """People with a series at the user's centers (the hotline's "who is this caller")."""

    list_display = ["last_name", "first_name", "date_of_birth", "phone", "postal_code"]
    list_select_related = ["household"]
    search_fields = ["last_name", "first_name"]
    fields = ("first_name", "last_name", "date_of_birth", "postal_code", "phone", "created_at")
    readonly_fields = fields
    ordering = ["last_name", "first_name", "pk"]

    def filter_by_centers(self, queryset, center_ids):
        at_centers = Series.objects.filter(person=OuterRef("pk"), center__in=center_ids)
        return queryset.filter(Exists(at_centers))

    def audit_center_ids(self, person: Person) -> list[int]:
        return sorted(set(person.series.values_list("center_id", flat=True)))

    @admin.display(description=_("phone number"))
    def phone(self, person: Person) -> str:
        return _phone(person)
