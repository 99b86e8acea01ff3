"""``python -m plugin.worker JOB.json``: run one job, speaking JSON lines on stdout.

Exit status: 0 done; 1 failed (an ``error`` event says why in one sentence; kind ``internal``
for a bug, with its traceback in the event); 130/143 cancelled by SIGINT/SIGTERM, which stop
it at once in any phase, leaving no partial output (see plugin.cancel; a second signal kills).
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

from . import cancel
from .events import error_fields, line


def _emit(kind: str, fields: dict[str, Any] | None = None) -> None:
    print(line(kind, **(fields or {})), flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m plugin.worker JOB.json", file=sys.stderr)
        return 2
    cancelled = cancel.install()  # before importing the core: loading torch takes seconds
    try:
        from .fit_cache import FitCache
        from .jobs import Job
        from .pipeline import run_job

        # A re-run after a correction (Blender's Run again) starts from the networks fitted last time.
        run_job(Job.load(argv[0]), _emit, cancelled=cancelled, fit_cache=FitCache())
    except cancel.Cancelled:
        _emit("cancelled")
        return cancel.exit_status()
    except Exception as exc:  # noqa: BLE001 - every failure becomes one event the host can show
        fields = error_fields(exc)
        if fields["kind"] == "internal":
            fields["traceback"] = traceback.format_exc()
        _emit("error", fields)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
