"""An insert compiled once writes the row the ORM writes (impfportal/compiled.py)."""

from datetime import timedelta

import pytest
from django.db.models import Value
from django.forms.models import model_to_dict
from django.utils import timezone

from impfportal.compiled import CompiledInsert
from sms.models import Message

pytestmark = pytest.mark.django_db

FIELDS = [field for field in Message._meta.concrete_fields if not field.primary_key]


def message(key: str, **values) -> Message:
    values = {"body": f"Text {key}", **values}
    return Message(
        idempotency_key=key,
        recipient="+4915112345678",
        priority=Message.Priority.CONFIRMATION,
        **values,
    )


def stored(pk: int) -> dict:
    return model_to_dict(Message.objects.get(pk=pk), exclude=["id", "idempotency_key"])


def test_it_writes_the_row_the_orm_writes_for_every_row():
    insert = CompiledInsert(Message, fields=FIELDS, ignore_conflicts=True)
    later = timezone.now() + timedelta(minutes=5)
    rows: list[dict[str, object]] = [{"body": "Text"}, {"send_before": later, "body": "Ä & <b>"}]
    for number, values in enumerate(rows):
        compiled_pk = insert.insert(message(f"compiled-{number}", **values))
        orm = message(f"orm-{number}", **values)
        orm.save()
        assert compiled_pk is not None
        written = stored(compiled_pk)
        expected = stored(orm.pk)
        assert written.pop("created_at") <= expected.pop("created_at")
        assert written.pop("next_attempt_at") <= expected.pop("next_attempt_at")
        assert written == expected
    assert Message.objects.count() == 4


def test_a_conflicting_row_is_skipped_without_a_key():
    insert = CompiledInsert(Message, fields=FIELDS, ignore_conflicts=True)
    first = insert.insert(message("once"))
    assert first is not None
    assert insert.insert(message("once", body="another text")) is None
    assert list(Message.objects.values_list("pk", "body")) == [(first, "Text once")]


def test_an_expression_as_a_value_is_refused():
    insert = CompiledInsert(Message, fields=FIELDS)
    with pytest.raises(TypeError, match="body"):
        insert.insert(message("expression", body=Value("text")))
    assert not Message.objects.exists()
    # The refused row left nothing of itself in the SQL the next rows use.
    pk = insert.insert(message("plain", body="Plain text"))
    assert Message.objects.get(pk=pk).body == "Plain text"
