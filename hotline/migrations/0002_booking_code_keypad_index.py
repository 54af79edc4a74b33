"""An index on the keys that type each booking code (``hotline.voice.calls.
keypad_series``), so that the voice line finds a series by keypad entry
without reading the whole table. PostgreSQL only (translate()); the booking
app's table, but the hotline's question, so it lives here."""

from django.db import migrations

from hotline.codes import keypad_translation

INDEX = "hotline_series_keypad"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    letters, numbers = keypad_translation()
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON booking_series "
        f"(translate(booking_code, '{letters}', '{numbers}'))"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("hotline", "0001_hotline_grants_and_audit"),
        ("booking", "0004_field_names_in_german"),
    ]

    operations = [migrations.RunPython(create, drop)]
