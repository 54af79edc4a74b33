"""Who runs the portal, as the imprint, the privacy notice and the accessibility
statement name it (``PORTAL_OPERATOR_*`` settings; the defaults are demo values)."""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Operator:
    name: str
    address: str
    representative: str
    email: str
    phone: str  # the hotline: the one number residents are given


def portal_operator() -> Operator:
    """Read on each call, so that a changed setting shows at once (and tests can override it)."""
    return Operator(
        name=settings.PORTAL_OPERATOR_NAME,
        address=settings.PORTAL_OPERATOR_ADDRESS,
        representative=settings.PORTAL_OPERATOR_REPRESENTATIVE,
        email=settings.PORTAL_OPERATOR_EMAIL,
        phone=settings.HOTLINE_PHONE,
    )
