from collections.abc import Iterable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import formats, timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from centers import audit
from centers.admin_forms import DeliveryForm, ReleaseForm
from centers.admin_scoping import CenterScopedAdmin, staff_center_ids, staff_centers
from centers.errors import CenterError, PlanChanged
from centers.hotline_hold import still_held
from centers.models import (
    AuditEntry,
    Center,
    Delivery,
    District,
    PostalCode,
    Slot,
    SlotRelease,
    Vaccine,
)
from centers.release import check_release, release_slots
from centers.stock import stock_table
from centers.waiting_list import (
    ReleaseOffers,
    WaitingListFigures,
    offers_for_release,
    waiting_list_figures,
)

CENTER_FILTER = ("center", admin.RelatedOnlyFieldListFilter)


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


def describe_waiting(figures: WaitingListFigures) -> str:
    """ "12 people wait (8 on the center's own list, 4 on the district's list); 1 paused." """
    text = ngettext(
        "%(count)d person waits (%(own)d on the center's own list, %(district)d on the "
        "list of the whole district).",
        "%(count)d people wait (%(own)d on the center's own list, %(district)d on the "
        "list of the whole district).",
        figures.waiting,
    ) % {"count": figures.waiting, "own": figures.own_list, "district": figures.district_list}
    if figures.paused:
        text += " " + ngettext(
            "%(count)d waiting place is paused.",
            "%(count)d waiting places are paused.",
            figures.paused,
        ) % {"count": figures.paused}
    return text


def describe_hotline_hold(release: SlotRelease) -> str:
    """ "12 appointments (10 %) until 06.12.2026 14:00. 7 of them are still held." """
    if not release.hotline_share or release.hotline_until is None:
        return _("None (no share for the hotline)")
    until = formats.date_format(timezone.localtime(release.hotline_until), "SHORT_DATETIME_FORMAT")
    text = ngettext(
        "%(count)d appointment (%(share)d %%) until %(until)s.",
        "%(count)d appointments (%(share)d %%) until %(until)s.",
        release.hotline_appointments,
    ) % {"count": release.hotline_appointments, "share": release.hotline_share, "until": until}
    held = still_held(release)
    if release.hotline_until <= timezone.now() and not held:
        return text + " " + _("The hold has ended; what the hotline had not booked is free.")
    return (
        text
        + " "
        + ngettext("%(count)d of them is still held.", "%(count)d of them are still held.", held)
        % {"count": held}
    )


def describe_release_offers(offers: ReleaseOffers) -> str:
    return ngettext(
        "%(made)d offer so far, %(open)d of them not answered yet.",
        "%(made)d offers so far, %(open)d of them not answered yet.",
        offers.made,
    ) % {"made": offers.made, "open": offers.open}


class WaitingListPanel(admin.ModelAdmin):
    """A read-only "waiting list" section on a change page: who waits for the
    object's center and the offers out (see ``centers.waiting_list``)."""

    waiting_list_fields: tuple[str, ...] = ("waiting_list", "waiting_list_offers")

    def waiting_list_center_id(self, obj) -> int:
        raise NotImplementedError

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, *self.waiting_list_fields] if obj is not None else fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        panel = self.waiting_list_fields
        rest = [
            (name, {**options, "fields": [f for f in options["fields"] if f not in panel]})
            for name, options in fieldsets
        ]
        description = _(
            "As of now. Places on the list of the whole district wait for every center of "
            "the district. Many new appointments at once are offered in the background: "
            "reload the page to see the latest figures."
        )
        return [*rest, (_("Waiting list"), {"fields": list(panel), "description": description})]

    def _figures(self, obj) -> WaitingListFigures | None:
        center_id = self.waiting_list_center_id(obj)
        return waiting_list_figures([center_id]).get(center_id)

    @admin.display(description=gettext_lazy("waiting for this center"))
    def waiting_list(self, obj) -> str:
        figures = self._figures(obj)
        return describe_waiting(figures) if figures is not None else "-"

    @admin.display(description=gettext_lazy("open offers of this center"))
    def waiting_list_offers(self, obj) -> str:
        figures = self._figures(obj)
        if figures is None:
            return "-"
        return ngettext(
            "%(count)d offer holds appointments of this center until the person answers.",
            "%(count)d offers hold appointments of this center until the people answer.",
            figures.offers_open,
        ) % {"count": figures.offers_open}


@admin.register(Center)
class CenterAdmin(WaitingListPanel, CenterScopedAdmin):
    center_lookup = "pk"
    list_display = ["name", "town", "district"]
    list_filter = ["district"]
    list_select_related = ["district"]
    search_fields = ["name", "town", "postal_code"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["staff"]

    def audit_center_ids(self, obj) -> list[int]:
        return [obj.pk]

    def waiting_list_center_id(self, obj) -> int:
        return obj.pk


@admin.register(Vaccine)
class VaccineAdmin(admin.ModelAdmin):
    list_display = ["name", "second_dose_interval_days"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Delivery)
class DeliveryAdmin(CenterScopedAdmin):
    form = DeliveryForm
    list_display = ["delivered_on", "center", "vaccine", "doses"]
    list_filter = ["vaccine", "delivered_on", CENTER_FILTER]
    list_select_related = ["center", "vaccine"]
    date_hierarchy = "delivered_on"
    actions = ["export_csv"]
    csv_columns = (
        (gettext_lazy("delivered on"), lambda d: d.delivered_on.isoformat()),
        (gettext_lazy("Vaccination center"), lambda d: d.center.name),
        (gettext_lazy("Vaccine"), lambda d: d.vaccine.name),
        (gettext_lazy("doses"), lambda d: d.doses),
    )

    def get_readonly_fields(self, request, obj=None):
        # A correction changes the number or the date. A delivery recorded for
        # the wrong center or vaccine is deleted and recorded again by an operator.
        return ["center", "vaccine"] if obj is not None else []

    def get_changeform_initial_data(self, request):
        # The stubs type it as GET parameters (strings); initial values may be any value.
        initial: dict[str, Any] = super().get_changeform_initial_data(request)
        centers = list(staff_centers(request)[:2])
        if len(centers) == 1:
            initial.setdefault("center", centers[0].pk)
        initial.setdefault("delivered_on", timezone.localdate())
        return initial

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "stocks": _stocks_for(request)}
        return super().changelist_view(request, extra_context)


def _offers_sent(offers: ReleaseOffers) -> str:
    return ngettext(
        "%(count)d waiting-list offer has gone out for these appointments so far.",
        "%(count)d waiting-list offers have gone out for these appointments so far.",
        offers.made,
    ) % {"count": offers.made}


def _stocks_for(request):
    center_ids: Iterable[int] | None = staff_center_ids(request)
    if center_ids is None:
        center_ids = Center.objects.values_list("pk", flat=True)
    return stock_table(center_ids)


@admin.register(Slot)
class SlotAdmin(CenterScopedAdmin):
    list_display = ["starts_at", "center", "vaccine", "dose", "capacity", "booked", "free_seats"]
    list_filter = ["dose", "vaccine", "starts_at", CENTER_FILTER]
    list_select_related = ["center", "vaccine"]
    date_hierarchy = "starts_at"
    readonly_fields = [
        "booked",
        "dose",
        "second_dose_slot",
        "withdrawn",
        "hotline_held",
        "hotline_held_until",
    ]
    actions = ["export_csv"]
    csv_columns = (
        (gettext_lazy("starts at"), lambda s: timezone.localtime(s.starts_at).isoformat()),
        (gettext_lazy("Vaccination center"), lambda s: s.center.name),
        (gettext_lazy("Vaccine"), lambda s: s.vaccine.name),
        (gettext_lazy("purpose"), lambda s: s.get_dose_display()),
        (gettext_lazy("capacity"), lambda s: s.capacity),
        (gettext_lazy("booked"), lambda s: s.booked),
    )

    @admin.display(description=gettext_lazy("free"))
    def free_seats(self, slot: Slot) -> int:
        return slot.free_seats

    def get_urls(self):
        release = self.admin_site.admin_view(self.release_view)
        return [path("release/", release, name="centers_slot_release"), *super().get_urls()]

    def add_view(self, request, form_url="", extra_context=None):
        """Slots are added by releasing them (checked against the stock), never one by one."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        return redirect("admin:centers_slot_release")

    @method_decorator(require_http_methods(["GET", "POST"]))
    def release_view(self, request):
        """Bulk release: the form, then a preview, then the release itself."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        centers = staff_centers(request)
        form = ReleaseForm(request.POST or None, centers=centers)
        if request.method == "GET":
            form = ReleaseForm(initial=ReleaseForm.initial_for(list(centers[:2])), centers=centers)
        stage = "form"
        stock = None
        if request.method == "POST" and "edit" not in request.POST and form.is_valid():
            try:
                if "confirm" in request.POST:
                    created = release_slots(
                        request=form.release_request(),
                        fingerprint=request.POST.get("fingerprint", ""),
                        by=request.user,
                    )
                    messages.success(
                        request,
                        _("%(appointments)d appointments released; %(doses)d doses are bound.")
                        % {"appointments": created.appointments, "doses": created.doses},
                    )
                    offers = offers_for_release(created)
                    if offers is not None:
                        messages.info(request, _offers_sent(offers))
                    # The release's own page: what was released and the waiting list.
                    return redirect("admin:centers_slotrelease_change", created.pk)
                if form.plan is None:  # clean() plans whenever the form is valid
                    raise RuntimeError("A valid release form has no plan.")
                stock = check_release(form.plan)
                stage = "preview"
            except PlanChanged as error:
                messages.warning(request, str(error))
                stock = self._preview_stock(form)
                stage = "preview" if stock is not None else "form"
            except CenterError as error:
                form.add_error(None, str(error))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Release appointments"),
            "form": form,
            "stage": stage,
            "plan": form.plan if stage == "preview" else None,
            "stock": stock,
            "stocks": _stocks_for(request),
        }
        return TemplateResponse(request, "admin/centers/slot/release.html", context)

    def _preview_stock(self, form):
        try:
            return check_release(form.plan)
        except CenterError as error:
            form.add_error(None, str(error))
            return None


class ReadOnlyAdmin(CenterScopedAdmin):
    """Records nobody edits or deletes through the admin, not even a superuser."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlotRelease)
class SlotReleaseAdmin(WaitingListPanel, ReadOnlyAdmin):
    list_display = [
        "released",
        "center",
        "vaccine",
        "days",
        "hours",
        "lanes",
        "first_doses",
        "hotline",
        "bound_doses",
        "released_by",
    ]
    # No filter column beside the list: with it, the list is wider than a 1280 px
    # screen and its last column is cut off. Days, hours and the dates are short
    # for the same reason.
    date_hierarchy = "released_at"
    list_select_related = ["center", "vaccine", "released_by"]

    # The release's own page (staff land on it after releasing): the weekdays by name.
    fields = [
        "center",
        "vaccine",
        "first_day",
        "last_day",
        "weekday_names",
        "opens_at",
        "closes_at",
        "interval_minutes",
        "lanes",
        "second_dose_days",
        "appointments",
        "hotline_hold",
        "doses",
        "released_by",
        "released_at",
    ]
    waiting_list_fields = ("offers_from_release", "waiting_list", "waiting_list_offers")

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "weekday_names", "hotline_hold"]

    @admin.display(description=gettext_lazy("weekdays"))
    def weekday_names(self, release: SlotRelease) -> str:
        return ", ".join(str(WEEKDAYS_ABBR[int(day) - 1]) for day in release.weekdays)

    def waiting_list_center_id(self, obj) -> int:
        return obj.center_id

    @admin.display(description=gettext_lazy("waiting-list offers from this release"))
    def offers_from_release(self, release: SlotRelease) -> str:
        offers = offers_for_release(release)
        return describe_release_offers(offers) if offers is not None else "-"

    def get_list_display(self, request):
        centers = staff_center_ids(request)
        if centers is not None and len(centers) == 1:  # the center goes without saying
            return [column for column in self.list_display if column != "center"]
        return self.list_display

    @admin.display(description=gettext_lazy("released at"), ordering="released_at")
    def released(self, release: SlotRelease) -> str:
        local = timezone.localtime(release.released_at)
        return formats.date_format(local, "SHORT_DATETIME_FORMAT")

    @admin.display(description=gettext_lazy("appointments"), ordering="appointments")
    def first_doses(self, release: SlotRelease) -> int:
        return release.appointments

    @admin.display(description=gettext_lazy("hotline"), ordering="hotline_appointments")
    def hotline(self, release: SlotRelease) -> str:
        """Appointments held for the hotline (the column stays narrow; the page says more)."""
        return str(release.hotline_appointments) if release.hotline_share else "-"

    @admin.display(description=gettext_lazy("held for the hotline"))
    def hotline_hold(self, release: SlotRelease) -> str:
        return describe_hotline_hold(release)

    @admin.display(description=gettext_lazy("doses"), ordering="doses")
    def bound_doses(self, release: SlotRelease) -> int:
        return release.doses

    @admin.display(description=gettext_lazy("days"), ordering="first_day")
    def days(self, release: SlotRelease) -> str:
        first = formats.date_format(release.first_day, "SHORT_DATE_FORMAT")
        last = formats.date_format(release.last_day, "SHORT_DATE_FORMAT")
        return first if first == last else f"{first} \N{EN DASH} {last}"

    @admin.display(description=gettext_lazy("hours"), ordering="opens_at")
    def hours(self, release: SlotRelease) -> str:
        opens = formats.time_format(release.opens_at, "TIME_FORMAT")
        closes = formats.time_format(release.closes_at, "TIME_FORMAT")
        return f"{opens} \N{EN DASH} {closes}"


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "username",
        "center",
        "action",
        "object_type_name",
        "object_repr",
        "summary",
    ]
    list_filter = ["action", "at", CENTER_FILTER]
    list_select_related = ["center"]
    search_fields = ["username", "object_repr"]
    date_hierarchy = "at"
    fields = (
        "at",
        "username",
        "center",
        "action",
        "object_type_name",
        "object_id",
        "object_repr",
        "summary",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("object type"))
    def object_type_name(self, entry: AuditEntry) -> str:
        return audit.object_type_name(entry)

    @admin.display(description=gettext_lazy("details"))
    def summary(self, entry: AuditEntry) -> str:
        return audit.describe(entry)
