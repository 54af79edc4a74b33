"""Every model with a personal-looking field names that field in the retention registry."""

from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from privacy.retention import REGISTRY, Action, undeclared_personal_fields


def test_every_installed_model_with_personal_fields_has_an_entry():
    assert undeclared_personal_fields(apps.get_models(include_auto_created=True)) == []


@isolate_apps("privacy")
def test_negative_control_a_new_model_with_a_phone_or_a_name_is_caught():
    class Caller(models.Model):  # noqa: DJ008
        first_name = models.CharField(max_length=50)
        mobile_phone = models.CharField(max_length=20)
        date_of_birth = models.DateField()
        contact = models.EmailField()
        visits = models.PositiveIntegerField()

        class Meta:
            app_label = "privacy"

    assert undeclared_personal_fields([Caller]) == [
        "privacy.caller.first_name",
        "privacy.caller.mobile_phone",
        "privacy.caller.date_of_birth",
        "privacy.caller.contact",
    ]


def test_negative_control_a_field_missing_from_its_entry_is_caught():
    from booking.models import Person

    without_birth = [
        entry
        if entry.model != "booking.Person"
        else type(entry)(**{**entry.__dict__, "fields": ("first_name", "last_name")})
        for entry in REGISTRY
    ]
    assert undeclared_personal_fields([Person], without_birth) == [
        "booking.person.date_of_birth",
        "booking.person.postal_code",
    ]


def test_every_entry_that_deletes_has_a_step_and_names_a_real_model():
    for entry in REGISTRY:
        assert apps.get_model(entry.model)
        assert (entry.step is None) == (entry.action in (Action.WITH_PARENT, Action.KEEP))
