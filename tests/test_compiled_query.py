"""A query compiled once answers as the ORM would, for every value (impfportal/compiled.py)."""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db.models import Exists, OuterRef

from booking.models import Person, Series
from booking.services import household_for
from centers.models import Slot
from impfportal.compiled import CompiledQuery
from tests import factories

pytestmark = pytest.mark.django_db


def _people_with_series(values):
    return Person.objects.annotate(
        booked=Exists(Series.objects.active().filter(person_id=OuterRef("pk")))
    ).filter(pk=values.person_id, household__phone=values.phone)


def test_it_answers_as_the_orm_for_other_values():
    query = CompiledQuery(_people_with_series, person_id=int, phone=str)
    households = [household_for(factories.unique_mobile()) for _ in range(2)]
    people = [factories.make_person(household) for household in households]
    for person in people:
        for household in households:
            values = SimpleNamespace(person_id=person.pk, phone=household.phone)
            expected = list(_people_with_series(values))
            found = list(query.run(person_id=person.pk, phone=household.phone))
            assert [p.pk for p in found] == [p.pk for p in expected]
            assert [bool(p.booked) for p in found] == [p.booked for p in expected]
    assert list(query.run(person_id=0, phone="")) == []


def test_a_value_that_is_no_parameter_is_refused_at_the_first_call():
    query = CompiledQuery(lambda values: Person.objects.all(), person_id=int)
    with pytest.raises(ValueError, match="person_id"):
        list(query.run(person_id=1))


def test_a_value_of_another_kind_is_refused():
    query = CompiledQuery(_people_with_series, person_id=int, phone=str)
    with pytest.raises(TypeError, match="person_id"):
        list(query.run(person_id="1", phone="+4915100000000"))


def _slots_from(values):
    return (
        Slot.objects.first_doses()
        .filter(center_id=values.center, starts_at__gte=values.earliest)
        .order_by("starts_at")
    )


def test_a_datetime_value_answers_as_the_orm(center, vaccine):
    """The datetime is adapted as the ORM adapts it (SQLite, the quick start's
    database, takes a string: the walk through ``make run`` joins a waiting list)."""
    times = [factories.local_datetime(factories.days_ahead(3), hour) for hour in (9, 10, 11)]
    for starts_at in times:
        factories.make_slot(center, vaccine, starts_at)
    query = CompiledQuery(_slots_from, center=int, earliest=datetime)
    for earliest in [times[0] - timedelta(minutes=1), *times, times[-1] + timedelta(seconds=1)]:
        values = SimpleNamespace(center=center.pk, earliest=earliest)
        expected = [slot.pk for slot in _slots_from(values)]
        assert [slot.pk for slot in query.run(center=center.pk, earliest=earliest)] == expected
    assert expected == []  # after the last one
    assert len(list(query.run(center=center.pk, earliest=times[0]))) == 3
