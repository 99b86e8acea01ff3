"""Finding and running the ffmpeg binary.

The binary is ``$VOS_FFMPEG`` if set, else ``ffmpeg`` on ``PATH``, else the static build shipped
in the ``imageio-ffmpeg`` wheel (so a fresh machine needs no system package). Every command line
is an argv list compiled from an ffmpeg-python graph, never a shell string.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence

import ffmpeg

from ..errors import VosError

# No banner or stats line, and never read the terminal.
BASE_ARGS = ("-hide_banner", "-nostdin", "-nostats")


@functools.cache
def find_ffmpeg() -> str:
    """Path of the ffmpeg binary to use (see the module docstring for the lookup order)."""
    override = os.environ.get("VOS_FFMPEG")
    if override:
        found = shutil.which(override)
        if not found:
            raise VosError(f"VOS_FFMPEG={override} is not an executable")
        return found
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        raise VosError("ffmpeg not found: install it, set VOS_FFMPEG, or pip install imageio-ffmpeg") from None


def argv(graph: ffmpeg.nodes.OutputStream, loglevel: str = "error") -> list[str]:
    """The full argv for an ffmpeg-python output graph, overwriting outputs without asking."""
    return [find_ffmpeg(), *BASE_ARGS, "-loglevel", loglevel, "-y", *ffmpeg.get_args(graph)]


def child_group() -> int | None:
    """The ``process_group`` to start ffmpeg in: None (ours) when we lead our own session, else 0 (its own).

    A terminal's Ctrl-C goes to its foreground process group; in a group of its own ffmpeg does not
    get it, and we decide whether it finishes or is killed. A process that leads its own session
    (a worker a host started detached, plugin.client) has no terminal to fear, and its host ends it
    with a kill of its process group, which must reach ffmpeg too: otherwise ffmpeg outlives it.
    """
    return None if os.getsid(0) == os.getpid() else 0


class FfmpegProcess:
    """One ffmpeg child with its stderr kept in a temporary file (a pipe could fill up and block it).

    It runs in the process group :func:`child_group` picks; we decide whether it finishes
    (``wait``) or is killed (``kill``).
    """

    def __init__(self, args: Sequence[str], *, stdin: int | None = None, stdout: int | None = None) -> None:
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the process; close() ends it
        self.proc = subprocess.Popen(
            list(args), stdin=stdin, stdout=stdout, stderr=self._log, process_group=child_group(),
        )

    def log_text(self) -> str:
        """Everything ffmpeg printed on stderr."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def error_text(self) -> str:
        """ffmpeg's last error line (empty if it printed nothing)."""
        lines = [ln.strip() for ln in self.log_text().splitlines() if ln.strip()]
        return lines[-1] if lines else ""

    def wait(self) -> int:
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream:
                try:
                    stream.close()
                except BrokenPipeError:  # it exited with input unread: its status and log say why
                    pass
        return self.proc.wait()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait()

    def close(self) -> None:
        self._log.close()

