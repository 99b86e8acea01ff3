"""Running one ``vos-matte`` command in the runtime environment and reading its JSON-lines events.

For the quick commands (scribble, reframe: seconds): they run blocking, unlike segmentation's worker.
"""

from __future__ import annotations

import subprocess
from typing import Any

import bpy

from . import runtime
from ._plugin.events import parse
from .clip import ClipError
from .settings import preferences

TIMEOUT_S = 600


def run_cli(context: bpy.types.Context, *args: str) -> dict[str, Any]:
    """Run ``vos-matte ARGS`` with the runtime's Python; its ``done`` event, or ClipError with its error."""
    python = runtime.python_in(preferences(context).runtime())
    if not python.exists():
        raise ClipError(f"No runtime Python at {python}: press Install runtime or Check runtime in the preferences.")
    command = [str(python), "-m", "hosts.ffmpeg.cli", "--progress", "json", *args]
    try:
        proc = runtime.run_isolated(command, TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClipError(f"The runtime could not run {args[0]}: {exc}") from None
    events = [e for e in map(parse, proc.stderr.splitlines()) if e is not None]
    done = next((e for e in events if e["event"] == "done"), None)
    if proc.returncode == 0 and done is not None:
        return done
    error = next((e for e in events if e["event"] == "error"), None)
    last = proc.stderr.strip().splitlines()[-1:] or ["no message"]
    raise ClipError(error["message"] if error else f"The runtime stopped (exit {proc.returncode}): {last[0]}")
