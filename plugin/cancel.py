"""Cancelling a job by signal, promptly in every phase. Standard library only.

A flag polled between frames is not enough: probing, decoding up to the annotated frame, model
loading and a stalled input pipe would all run to their end first. So after :func:`install`
the first SIGINT or SIGTERM raises :class:`Cancelled` in the main thread wherever it is (a
blocking read is interrupted too), and ``with`` blocks remove what was half-written. Code
that must not be cut in half (renaming finished outputs into place) runs under
:func:`deferred`; the exception comes when it ends. The first signal also restores the
default handlers, so a second one ends the process at once, whatever it is doing.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Cancelled(BaseException):
    """The user or the host asked the job to stop.

    A BaseException, as KeyboardInterrupt is: raised at an arbitrary point, it must not be
    swallowed by an ``except Exception`` in library code (torch's import has several).
    """


_received: list[int] = []
_deferred = {"depth": 0, "pending": False}


def _handle(signum: int, frame: object) -> None:
    _received.append(signum)
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    if _deferred["depth"]:
        _deferred["pending"] = True
    else:
        raise Cancelled()


def install() -> Callable[[], bool]:
    """Handle SIGINT/SIGTERM as described above (main thread only); returns a poll: stop asked?"""
    _received.clear()
    _deferred["pending"] = False
    for sig in SIGNALS:
        signal.signal(sig, _handle)
    return lambda: bool(_received)


def received() -> int | None:
    """The signal that asked us to stop, or None."""
    return _received[0] if _received else None


def exit_status() -> int:
    """The shell's convention for death by that signal: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + (received() or signal.SIGTERM)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold a first signal's Cancelled until the block ends (a second signal still kills)."""
    _deferred["depth"] += 1
    try:
        yield
    finally:
        _deferred["depth"] -= 1
    if not _deferred["depth"] and _deferred["pending"]:
        _deferred["pending"] = False
        raise Cancelled()
