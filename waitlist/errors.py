class WaitlistError(Exception):
    """A waiting-list rule said no; str(error) is shown to the resident as it is."""


class OfferNotOpen(WaitlistError):
    """The offer was already answered, has expired or was withdrawn."""
