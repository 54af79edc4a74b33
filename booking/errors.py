class BookingError(Exception):
    """A booking rule said no; str(error) is shown to the resident as it is."""


class SlotTaken(BookingError):
    """The chosen time was taken by someone else a moment ago."""


class SecondDoseUnavailable(BookingError):
    """No free second-dose seat in the vaccine's window: nothing was booked."""


class AlreadyBooked(BookingError):
    """The person already holds an active series."""


class BookingBusy(BookingError):
    """A lock could not be had in time; safe to try again."""
