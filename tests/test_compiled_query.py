"""A query compiled once answers as the ORM would, for every value (impfportal/compiled.py)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
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


def _people_added_since(values):
    return Person.objects.filter(household__phone=values.phone, created_at__gte=values.since)


def test_a_moment_is_a_parameter_as_the_orm_compares_it():
    household = household_for(factories.unique_mobile())
    people = [factories.make_person(household, first_name=f"Erna{n}") for n in range(3)]
    query = CompiledQuery(_people_added_since, phone=str, since=datetime)
    moments = [person.created_at for person in people]
    moments += [moments[0] - timedelta(days=1), moments[-1] + timedelta(microseconds=1)]
    # The same instant in another time zone is the same moment.
    moments.append(moments[1].astimezone(ZoneInfo("Europe/Berlin")))
    for since in moments:
        values = SimpleNamespace(phone=household.phone, since=since)
        expected = [person.pk for person in _people_added_since(values)]
        assert [person.pk for person in query.run(phone=household.phone, since=since)] == expected
    assert len(list(query.run(phone=household.phone, since=moments[1]))) == 2


def test_a_naive_moment_is_refused():
    query = CompiledQuery(_people_added_since, phone=str, since=datetime)
    with pytest.raises(TypeError, match="since"):
        list(query.run(phone="+4915100000000", since=datetime(2026, 12, 6, 9, 0)))


def _people_of(values):
    return Person.objects.select_related("household").filter(household__phone=values.phone)


def test_related_objects_come_with_the_rows(django_assert_num_queries):
    query = CompiledQuery(_people_of, phone=str)
    households = [household_for(factories.unique_mobile()) for _ in range(2)]
    for household in households:
        factories.make_person(household, first_name="Erna")
        factories.make_person(household, first_name="Otto")
    for household in households:
        expected = list(_people_of(SimpleNamespace(phone=household.phone)))
        with django_assert_num_queries(1):
            found = list(query.run(phone=household.phone))
            assert [person.household.phone for person in found] == [household.phone] * 2
        assert [(p.pk, p.first_name) for p in found] == [(p.pk, p.first_name) for p in expected]


@pytest.mark.django_db(transaction=True)
def test_each_thread_runs_it_on_its_own_connection():
    query = CompiledQuery(_people_of, phone=str)
    household = household_for(factories.unique_mobile())
    person = factories.make_person(household)
    assert [p.pk for p in query.run(phone=household.phone)] == [person.pk]  # compiled here

    def elsewhere():
        # On another thread's connection Django would refuse to run it (a DatabaseError).
        try:
            return [p.pk for p in query.run(phone=household.phone)], id(connections["default"])
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        found, used = pool.submit(elsewhere).result()
    assert found == [person.pk]
    assert used != id(connections["default"])


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
