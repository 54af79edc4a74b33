from django import template
from django.conf import settings

from sms.masking import last_digits

register = template.Library()


@register.simple_tag
def hotline_phone() -> str:
    """The hotline's number (``HOTLINE_PHONE``): a tag, not a context processor, so
    that pages rendered without a request (the 500 page, SMS texts) name it too."""
    return settings.HOTLINE_PHONE


@register.simple_tag
def error_list(form, extra=()):
    """(field name or None, message) pairs for the error summary at the top of a page."""
    pairs = [(None, message) for message in extra]
    if form is not None:
        pairs += [(None, message) for message in form.non_field_errors()]
        pairs += [
            (name, message)
            for name, messages in form.errors.items()
            if name != "__all__"
            for message in messages
        ]
    return pairs


@register.simple_tag
def kern_input(field):
    """The field's input in KERN's style; Django itself adds aria-invalid and aria-describedby.

    A widget with a small ``size`` (day, month, year, postal code, code) gets a
    narrow box, so that its width says how much is expected.
    """
    css = ["kern-form-input__input"]
    size = str(field.field.widget.attrs.get("size", ""))
    if size in {"1", "2"}:
        css.append("kern-form-input__input--width-2")
    elif size in {"3", "4"}:
        css.append("kern-form-input__input--width-4")
    elif size:
        css.append("input-short")
    if field.errors:
        css.append("kern-form-input__input--error")
    return field.as_widget(attrs={"class": " ".join(css)})


@register.simple_tag
def kern_select(field):
    """The field's select in KERN's style (put it in ``kern-form-input__select-wrapper``)."""
    css = "kern-form-input__select"
    if field.errors:
        css += " kern-form-input__select--error"
    return field.as_widget(attrs={"class": css})


@register.filter(name="last_digits")
def last_digits_filter(phone: str) -> str:
    """``{{ household.phone|last_digits }}``: as ``sms.masking.last_digits``."""
    return last_digits(phone)
