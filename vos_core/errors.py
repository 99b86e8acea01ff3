"""Errors a user can act on. Their message is the whole story: hosts show it verbatim."""


class VosError(Exception):
    """Base class for problems with the user's input, weights or environment (not bugs)."""


class InputError(VosError):
    """A frame, mask or video could not be used (unreadable, empty, wrong size...)."""


class WeightsError(VosError):
    """Network weights are missing, corrupt or of an unknown layout."""
