"""The README's demo tour names real staff logins, with their center's state."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from centers.models import Center

pytestmark = pytest.mark.django_db

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
STATES = {
    "appointments available": Center.State.AVAILABLE,
    "waiting list only": Center.State.WAITLIST_ONLY,
    "no vaccine yet": Center.State.NO_VACCINE,
}
LOGIN = re.compile(r"`(staff-[a-z-]+)`: [^,|]+, (" + "|".join(STATES) + ")")


def test_the_readme_names_a_few_staff_logins_by_name():
    assert len(LOGIN.findall(README)) >= 3


def test_each_named_staff_login_exists_with_the_state_the_readme_gives():
    call_command("load_demo_data", stdout=StringIO())
    centers = {
        center.slug: center
        for center in Center.objects.with_availability().prefetch_related("staff")
    }
    for login, state in LOGIN.findall(README):
        center = centers[login.removeprefix("staff-")]
        assert login in {user.username for user in center.staff.all()}
        assert center.state == STATES[state], login


def test_the_demo_summary_names_the_same_staff_logins():
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    for login, _state in LOGIN.findall(README):
        assert f"    {login}: " in out.getvalue()
