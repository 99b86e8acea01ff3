"""The JSON-lines protocol between a worker and its host. Standard library only.

One JSON object per line, with ``"event"`` naming its kind:
- ``started``:   device, frames (total, or null if unknown), preset
- ``progress``:  stage ("finetune" or "segment"), done, total, elapsed_s, eta_s, fps; per segmented
                 frame also frame, confidence and flags per object (vos_core/confidence.py)
- ``confidence``: after the last frame: suggested (correction frames), low_runs ([first, last]...)
- ``clip``:      (batch runs) clip, clips, input — the next clip starts
- ``done``:      output (or outputs, one per file written), frames, seconds
- ``error``:     message (one sentence for the user), kind (the error class, ``internal`` for a
                 bug: see :func:`error_fields`), and input in batch runs
- ``notice``:    message: something the user should know that does not stop the job (a damaged
                 cache entry or run record, ignored)
- ``cancelled``: (no fields)
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from typing import Any

from .jobs import JobError


@dataclass(frozen=True)
class Progress:
    stage: str
    done: int
    total: int | None
    elapsed_s: float

    @property
    def fps(self) -> float:
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        if not self.total or not self.done:
            return None
        return self.elapsed_s / self.done * (self.total - self.done)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "eta_s": self.eta_s, "fps": self.fps}


def line(event: str, **fields: Any) -> str:
    """Serialise one event as a single JSON line (no trailing newline)."""
    return json.dumps({"event": event, **fields}, separators=(",", ":"))


def parse(text: str) -> dict[str, Any] | None:
    """Parse one line; None for lines that are not protocol events (stray prints, warnings)."""
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) and "event" in obj else None


def error_fields(exc: BaseException) -> dict[str, str]:
    """``{"message", "kind"}`` of the ``error`` event for an exception that ended a job.

    A VosError's or JobError's message is the whole story; anything else is a missing package or
    a bug, said in one sentence (hosts keep tracebacks out of the user's sight).
    """
    errors = sys.modules.get("vos_core.errors")  # loaded by whatever raised a VosError; absent in Blender
    if isinstance(exc, JobError) or (errors is not None and isinstance(exc, errors.VosError)):
        return {"message": str(exc), "kind": type(exc).__name__}
    text = " ".join(str(exc).split())
    if isinstance(exc, ImportError):
        return {"message": f"a required package is missing or broken ({text}); reinstall vos-matte",
                "kind": "ImportError"}
    return {"message": f"internal error ({type(exc).__name__}: {text}); please report it", "kind": "internal"}
