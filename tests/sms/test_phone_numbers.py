import pytest

from sms.errors import PhoneError
from sms.phone import parse_phone_number


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("0151 12345678", "+4915112345678"),
        ("+49 151 12345678", "+4915112345678"),
        ("0049 (151) 123-456-78", "+4915112345678"),
    ],
)
def test_it_reads_german_mobile_numbers_however_they_are_typed(typed, e164):
    number = parse_phone_number(typed)
    assert number.e164 == e164
    assert number.is_mobile


def test_it_marks_a_landline_for_a_voice_call():
    number = parse_phone_number("0511 1234567")
    assert number.e164 == "+495111234567"
    assert not number.is_mobile


@pytest.mark.parametrize(
    ("typed", "message_part"),
    [
        ("", "Bitte geben Sie"),
        ("+43 660 1234567", "deutsche Telefonnummern"),
        ("+1 202 555 0143", "deutsche Telefonnummern"),
        ("12", "unvollständig"),
        ("hello", "nicht als Telefonnummer"),
        ("0900 1234567", "Sonderrufnummern"),
        ("0" * 40, "zu lang"),
    ],
)
def test_it_refuses_numbers_it_cannot_serve(typed, message_part):
    with pytest.raises(PhoneError, match=message_part):
        parse_phone_number(typed)
