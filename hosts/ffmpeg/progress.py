"""Showing worker events on a terminal: a one-line progress bar, JSON lines, or nothing."""

from __future__ import annotations

import sys
from typing import Any, TextIO

STAGE_LABELS = {"finetune": "fine-tuning", "segment": "segmenting", "join": "joining"}


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60:02d}:{seconds % 60:02d}"


class ProgressReporter:
    """Turns ``(kind, fields)`` events into output on ``stream`` (stderr by default).

    mode ``bar``: a redrawn line for people (on a non-terminal, such as a batch log, a plain
    line every tenth of the way instead); ``json``: one JSON object per line, the protocol the
    Blender add-on reads; ``quiet``: errors only (printed by the CLI itself).
    """

    def __init__(self, mode: str = "bar", stream: TextIO | None = None) -> None:
        self.mode = mode
        self.stream = stream or sys.stderr
        self._open_line = False
        self._redraw = self.stream.isatty()

    def __call__(self, kind: str, fields: dict[str, Any]) -> None:
        if self.mode == "json":
            from plugin.events import line

            print(line(kind, **fields), file=self.stream, flush=True)
        elif self.mode == "bar":
            self._bar(kind, fields)

    def _bar(self, kind: str, fields: dict[str, Any]) -> None:
        if kind == "started":
            self._print(f"device: {fields['device']}, preset: {fields['preset']}, frames: {fields['frames'] or '?'}")
        elif kind == "progress":
            done, total = fields["done"], fields["total"]
            label = STAGE_LABELS.get(fields["stage"], fields["stage"])
            width = 28
            filled = int(width * done / total) if total else 0
            bar = "#" * filled + "-" * (width - filled)
            count = f"{done}/{total}" if total else f"{done}"
            rate = {"finetune": f"{fields['fps']:.2f} it/s", "shots": f"{fields['fps'] * 3600:.0f} shots/h"}.get(
                fields["stage"], f"{fields['fps']:.2f} fps")
            text = f"{label:<12} [{bar}] {count} {rate} ETA {_clock(fields.get('eta_s'))}"
            if self._redraw:
                self.stream.write("\r" + text)
                self.stream.flush()
                self._open_line = True
                if total and done >= total:
                    self._print("")
            elif done == total or done % max(1, (total or 100) // 10) == 0:
                self._print(text)
        elif kind == "clip":
            self._print(f"[{fields['clip']}/{fields['clips']}] {fields['input']}")
        elif kind == "error":
            self._print(f"failed: {fields['message']}")
        elif kind == "notice":
            self._print(f"note: {fields['message']}")
        elif kind == "done":
            self._print(f"wrote {fields['output']} ({fields['frames']} frames, {fields['seconds']:.1f} s)")

    def _print(self, text: str) -> None:
        self.finish()
        if text:
            print(text, file=self.stream, flush=True)

    def finish(self) -> None:
        """End an open progress line (before an error message, say)."""
        if self._open_line:
            self.stream.write("\n")
            self.stream.flush()
            self._open_line = False
