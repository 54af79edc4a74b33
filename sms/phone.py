"""Phone numbers: parsing, the state's own country only, mobile or landline."""

from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sms.errors import PhoneError
from sms.masking import mask, redact

# Number types we can reach: a code goes by SMS to a mobile, by voice call to a landline.
_MOBILE = {phonenumbers.PhoneNumberType.MOBILE}
_VOICE = {
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.VOIP,
}


@dataclass(frozen=True)
class PhoneNumber:
    e164: str
    is_mobile: bool


def parse_phone_number(raw: str) -> PhoneNumber:
    """Parse what a resident typed into a number we serve, or raise PhoneError."""
    text = (raw or "").strip()
    if not text:
        raise PhoneError(_("Please enter your phone number."))
    if len(text) > 30:
        raise PhoneError(_("This phone number is too long. Please check it."))
    try:
        number = phonenumbers.parse(text, settings.PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise PhoneError(
            _("This is not a phone number we can read. Example: 0171 2345678.")
        ) from None
    if phonenumbers.region_code_for_number(number) != settings.PHONE_REGION:
        raise PhoneError(
            _("We can only send codes to German phone numbers (starting with 0 or +49).")
        )
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(_("This phone number is not complete or not valid. Please check it."))
    number_type = phonenumbers.number_type(number)
    if number_type not in _MOBILE | _VOICE:
        raise PhoneError(_("We can only call mobile and landline numbers, not service numbers."))
    return PhoneNumber(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        is_mobile=number_type in _MOBILE,
    )


def is_mobile_number(e164: str) -> bool:
    """Whether a stored (E.164) number can receive an SMS; unreadable: assume it can."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return True
    return phonenumbers.number_type(number) in _MOBILE


__all__ = ["PhoneNumber", "is_mobile_number", "mask", "parse_phone_number", "redact"]
