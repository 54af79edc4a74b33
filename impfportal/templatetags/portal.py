from django import template

register = template.Library()


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
