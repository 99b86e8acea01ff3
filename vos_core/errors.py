"""Errors a user can act on. Their message is the whole story: hosts show it verbatim."""

from __future__ import annotations

from collections.abc import Iterable


class VosError(Exception):
    """Base class for problems with the user's input, weights or environment (not bugs)."""


class InputError(VosError):
    """A frame, mask or video could not be used (unreadable, empty, wrong size...)."""


class WeightsError(VosError):
    """Network weights are missing, corrupt or of an unknown layout."""


def check_choice(what: str, value: object, choices: Iterable[str]) -> None:
    """Raise a :class:`VosError` listing ``choices`` unless ``value`` is one of them."""
    choices = list(choices)
    if value not in choices:
        raise VosError(f"unknown {what} {value!r}; choose one of: {', '.join(choices)}")
