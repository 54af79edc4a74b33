class PhoneError(ValueError):
    """A phone number we cannot serve; str(error) is shown to the resident."""


class VerificationError(Exception):
    """A code request or check that failed; str(error) is shown to the resident."""
