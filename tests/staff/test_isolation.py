"""Staff of center A reach nothing of center B: lists, pages, URLs, posted ids, exports."""

from datetime import datetime, timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from booking.models import Appointment, Person
from centers import audit
from centers.admin_scoping import CenterScopedAdmin
from centers.models import AuditEntry, Delivery, Slot, SlotRelease
from centers.release import ReleaseRequest, plan_release, release_slots
from tests import factories
from tests.staff.conftest import logged_in, make_staff
from tests.staff.helpers import book, earlier_today, first_dose, release_data

pytestmark = pytest.mark.django_db


def _release(center, vaccine, user) -> SlotRelease:
    day = factories.days_ahead(30)
    request = ReleaseRequest(
        center=center,
        vaccine=vaccine,
        first_day=day,
        last_day=day,
        weekdays=frozenset(range(1, 8)),
        opens_at=datetime(2021, 1, 1, 8).time(),
        closes_at=datetime(2021, 1, 1, 9).time(),
        interval_minutes=30,
        lanes=1,
    )
    return release_slots(request=request, fingerprint=plan_release(request).fingerprint, by=user)


def _center_world(center, vaccine, user, name):
    delivery = factories.make_delivery(center, vaccine, doses=500)
    [series] = book(center, vaccine, at=earlier_today(), names=[name])
    release = _release(center, vaccine, user)
    entry = audit.record(user=user, center_id=center.pk, action="changed", obj=delivery)
    appointment = first_dose(series)
    return {
        "centers_center": center,
        "centers_delivery": delivery,
        "centers_slot": appointment.slot,
        "centers_slotrelease": release,
        "centers_auditentry": entry,
        "booking_appointment": appointment,
        "booking_series": series,
        "booking_person": series.person,
    }


@pytest.fixture
def world(center_a, center_b, staff_a, staff_b, vaccine, open_for_80):
    return {
        "a": _center_world(center_a, vaccine, staff_a, "Anna Albers"),
        "b": _center_world(center_b, vaccine, staff_b, "Berta Brandt"),
    }


def _changelist(name: str) -> str:
    url = reverse(f"admin:{name}_changelist")
    return url + "?day=all" if name == "booking_appointment" else url


def test_every_list_shows_only_the_users_own_center(client_a, world):
    for name, own in world["a"].items():
        other = world["b"][name]
        response = client_a.get(_changelist(name))
        assert response.status_code == 200, name
        shown = {obj.pk for obj in response.context["cl"].queryset}
        assert own.pk in shown, name
        assert other.pk not in shown, name


def test_another_centers_objects_are_not_found_by_url(client_a, world):
    for name, other in world["b"].items():
        for view in ("change", "history"):
            response = client_a.get(reverse(f"admin:{name}_{view}", args=[other.pk]))
            assert response.status_code == 404, (name, view)
        response = client_a.post(reverse(f"admin:{name}_delete", args=[other.pk]), {"post": "yes"})
        assert response.status_code in (403, 404), name
    assert Delivery.objects.filter(pk=world["b"]["centers_delivery"].pk).exists()


def test_own_objects_open(client_a, world):
    for name, own in world["a"].items():
        response = client_a.get(reverse(f"admin:{name}_change", args=[own.pk]))
        assert response.status_code == 200, name


def test_row_buttons_with_another_centers_appointment_are_not_found(client_a, world):
    other = world["b"]["booking_appointment"]
    for view in ("check_in", "no_show"):
        url = reverse(f"admin:booking_appointment_{view}", args=[other.pk])
        assert client_a.post(url).status_code == 404
    other.refresh_from_db()
    assert other.status == Appointment.Status.BOOKED
    assert not AuditEntry.objects.filter(action__in=["checked_in", "no_show"]).exists()


def test_actions_with_another_centers_ids_change_nothing(client_a, world):
    other = world["b"]["booking_appointment"]
    for action in ("check_in_selected", "mark_no_show_selected"):
        client_a.post(
            _changelist("booking_appointment"),
            {"action": action, "_selected_action": [other.pk]},
        )
    other.refresh_from_db()
    assert other.status == Appointment.Status.BOOKED


def test_the_export_contains_only_the_users_own_center(client_a, world):
    own, other = world["a"]["booking_appointment"], world["b"]["booking_appointment"]
    response = client_a.post(
        _changelist("booking_appointment"),
        {"action": "export_csv", "_selected_action": [own.pk, other.pk]},
    )
    content = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert own.series.booking_code in content
    assert "Albers" in content
    assert other.series.booking_code not in content
    assert "Brandt" not in content
    response = client_a.post(
        _changelist("booking_appointment"),
        {"action": "export_csv", "select_across": "1", "_selected_action": [own.pk]},
    )
    assert "Brandt" not in response.content.decode()


def test_forms_offer_and_accept_only_the_users_own_centers(
    client_a, world, center_a, center_b, vaccine
):
    page = client_a.get(reverse("admin:centers_delivery_add"))
    assert list(page.context["adminform"].form.fields["center"].queryset) == [center_a]

    deliveries = Delivery.objects.count()
    response = client_a.post(
        reverse("admin:centers_delivery_add"),
        {
            "center": center_b.pk,
            "vaccine": vaccine.pk,
            "doses": "100",
            "delivered_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert "center" in response.context["adminform"].form.errors
    assert Delivery.objects.count() == deliveries

    slots = Slot.objects.count()
    response = client_a.post(reverse("admin:centers_slot_release"), release_data(center_b, vaccine))
    assert "center" in response.context["form"].errors
    assert Slot.objects.count() == slots

    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    for view, data in (
        ("close_day", {"center": center_b.pk, "day": yesterday, "confirm": "1"}),
        (
            "cancel_day",
            {"center": center_b.pk, "day": timezone.localdate().isoformat(), "confirm": "1"},
        ),
    ):
        response = client_a.post(reverse(f"admin:booking_appointment_{view}"), data)
        assert response.status_code == 200
        assert "center" in response.context["form"].errors
    assert (
        world["b"]["booking_appointment"]
        .__class__.objects.get(pk=world["b"]["booking_appointment"].pk)
        .status
        == Appointment.Status.BOOKED
    )


def test_filters_and_search_in_urls_do_not_reach_another_center(
    client_a, staff_a, world, center_b, vaccine
):
    other = world["b"]["booking_appointment"]
    url = _changelist("booking_appointment") + f"&slot__center__id__exact={center_b.pk}"
    shown = client_a.get(url).context["cl"].queryset
    assert other.pk not in {a.pk for a in shown}
    response = client_a.get(
        reverse("admin:booking_series_changelist"), {"q": other.series.booking_code}
    )
    assert not list(response.context["cl"].queryset)

    # With a second center of their own, the center filter offers both, never B.
    center_c = factories.make_center("Impfzentrum Laatzen", district=center_b.district)
    center_c.staff.add(staff_a)
    book(center_c, vaccine, at=earlier_today(), names=["Carla Claas"])
    specs = client_a.get(_changelist("booking_appointment")).context["cl"].filter_specs
    [center_filter] = [spec for spec in specs if getattr(spec, "field_path", "") == "slot__center"]
    offered = {pk for pk, _name in center_filter.lookup_choices}
    assert offered == {world["a"]["centers_center"].pk, center_c.pk}


def test_a_superuser_sees_every_center(client_operator, world):
    for name in world["a"]:
        response = client_operator.get(_changelist(name))
        shown = {obj.pk for obj in response.context["cl"].queryset}
        assert {world["a"][name].pk, world["b"][name].pk} <= shown, name


def test_staff_in_no_centers_staff_see_nothing(world):
    client = logged_in(make_staff("nobody"))
    for name in world["a"]:
        response = client.get(_changelist(name))
        assert response.status_code == 200
        assert not list(response.context["cl"].queryset), name


def test_an_account_without_the_staff_group_cannot_open_the_lists(world, center_a):
    user = make_staff("no-rights", center_a)
    user.groups.remove(Group.objects.get(name="Zentrum"))
    client = logged_in(user)
    assert client.get(_changelist("booking_appointment")).status_code == 403
    assert Person.objects.exists()


def test_every_model_staff_may_see_is_limited_to_their_centers():
    """A model the staff group has any permission on must have a center-scoped admin."""
    permissions = Group.objects.get(name="Zentrum").permissions.select_related("content_type")
    labels = {(p.content_type.app_label, p.content_type.model) for p in permissions}
    assert labels
    for app_label, model_name in labels:
        model = apps.get_model(app_label, model_name)
        assert isinstance(admin.site._registry[model], CenterScopedAdmin), model._meta.label
