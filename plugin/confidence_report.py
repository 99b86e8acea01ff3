"""The confidence track as hosts see it: collected from a run's events, written as a JSON report.

``segment_stream`` puts each frame's confidence on its progress event (``frame``, ``confidence``
and ``flags`` per object, see ``vos_core/confidence.py``) and ends with a ``confidence`` event
(``suggested`` frames, ``low_runs``). :class:`ConfidenceReport` is an event sink that passes
every event on and keeps those fields, so a host that only sees events (the CLI's progress
reporter, a worker's client) gets the whole track. Standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

EventSink = Callable[[str, dict], None]


class ConfidenceReport:
    """An event sink: forwards to ``inner`` and collects the per-frame confidence and the suggestion."""

    def __init__(self, inner: EventSink | None = None) -> None:
        self.inner = inner
        self.frames: list[dict[str, Any]] = []
        self.suggested: list[int] = []
        self.low_runs: list[list[int]] = []

    def __call__(self, kind: str, fields: dict) -> None:
        if kind == "progress" and "confidence" in fields:
            self.frames.append({key: fields[key] for key in ("frame", "confidence", "flags")})
        elif kind == "confidence":
            self.suggested, self.low_runs = list(fields["suggested"]), [list(r) for r in fields.get("low_runs", [])]
        if self.inner is not None:
            self.inner(kind, fields)

    def to_dict(self) -> dict[str, Any]:
        """``{"suggested": [frame...], "low_runs": [[first, last]...], "frames": [{frame, confidence, flags}...]}``."""
        return {"suggested": self.suggested, "low_runs": self.low_runs, "frames": self.frames}

    def write(self, path: str | Path) -> None:
        """Write :meth:`to_dict` as JSON to ``path`` (its folder is created)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")

    def summary(self) -> str:
        """One line for people: how many frames are low and the suggested frame, or that no
        correction is needed (the report still names the least confident frame)."""
        low = sum(1 for f in self.frames if any("low" in flags for flags in f["flags"].values()))
        if not self.low_runs:
            return f"confidence: no low-confidence frames of {len(self.frames)}; no correction needed"
        if not self.suggested:
            return f"confidence: {low} low-confidence frames of {len(self.frames)}; no frame to suggest"
        return (f"confidence: {low} low-confidence frames of {len(self.frames)}; "
                f"suggested correction frame: {self.suggested[0]}")
