class CenterError(Exception):
    """A rule of the centers app said no; str(error) is shown to staff as it is."""


class PlanChanged(CenterError):
    """What would be released differs from the preview the user confirmed."""
