class HotlineError(Exception):
    """A hotline rule said no; str(error) is shown to the agent."""


class NotAuthorised(HotlineError):
    """The agent has no running grant for the household (no check, or 15 minutes over)."""
