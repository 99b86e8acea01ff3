"""``python -m plugin.worker JOB.json``: run one job, speaking JSON lines on stdout.

Exit status: 0 done, 1 failed (an ``error`` event says why), 130/143 cancelled by
SIGINT/SIGTERM (checked between fine-tuning steps and frames; no partial output is left).
"""

from __future__ import annotations

import signal
import sys
import traceback
from typing import Any

from vos_core import VosError

from .events import line
from .jobs import SegmentJob
from .pipeline import Cancelled, run_job


def _emit(kind: str, fields: dict[str, Any] | None = None) -> None:
    print(line(kind, **(fields or {})), flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m plugin.worker JOB.json", file=sys.stderr)
        return 2
    stop_signal: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop_signal.append(signum))
    try:
        run_job(SegmentJob.load(argv[0]), _emit, cancelled=lambda: bool(stop_signal))
    except Cancelled:
        _emit("cancelled")
        return 128 + stop_signal[0]
    except VosError as exc:
        _emit("error", {"message": str(exc), "kind": type(exc).__name__})
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug: still tell the host, with the traceback for the report
        _emit("error", {"message": f"internal error: {exc}", "kind": "internal", "traceback": traceback.format_exc()})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
