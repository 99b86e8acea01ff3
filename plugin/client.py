"""Starting and watching a worker process from a host. Standard library only.

Reader threads turn the worker's stdout into events on a queue, so a host's UI loop
(Blender's modal timer) drains them without blocking and never touches the pipes itself.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

from .events import parse

CANCEL_GRACE_S = 5.0  # how long cancel() lets a worker clean up before killing it


class WorkerProcess:
    """A running ``python -m plugin.worker JOB.json`` in its own process group."""

    def __init__(self, python: str, job_path: str, env: dict[str, str] | None = None, cwd: str | None = None) -> None:
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.stderr_tail: deque[str] = deque(maxlen=40)
        self.proc = subprocess.Popen(
            [python, "-m", "plugin.worker", job_path],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env, cwd=cwd, start_new_session=True,
        )
        self._readers = [
            threading.Thread(target=self._read_events, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_events(self) -> None:
        for text in self.proc.stdout:
            event = parse(text)
            if event is not None:
                self._events.put(event)

    def _read_stderr(self) -> None:
        for text in self.proc.stderr:
            self.stderr_tail.append(text.rstrip("\n"))

    def drain(self) -> list[dict[str, Any]]:
        """Events received since the last call, without waiting."""
        out = []
        while True:
            try:
                out.append(self._events.get_nowait())
            except queue.Empty:
                return out

    def next_event(self, timeout: float | None = None) -> dict[str, Any] | None:
        """Wait up to ``timeout`` seconds for the next event; None if none came."""
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            return None

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait(self, timeout: float | None = None) -> int:
        code = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(timeout=5)
        return code

    def cancel(self, grace_s: float = CANCEL_GRACE_S) -> None:
        """Ask the worker to stop; returns at once (a UI thread must not wait).

        SIGTERM goes to its process group: it removes partial output and its clip store's
        temporary folder and exits 143, normally within a second or two in any phase (measured
        on the bundled sample, 2 busy cores: 1.0-1.4 s from SIGTERM to exit while segmenting), so
        the default grace leaves room to spare. If it is still running ``grace_s`` seconds later,
        it is killed (SIGKILL), so a hung worker cannot keep the host waiting forever; what it
        leaves is removed later: its clip store by the next run's, its partial outputs by the
        next run writing the same outputs.
        """
        if self.proc.poll() is None:
            self._signal(signal.SIGTERM)
            timer = threading.Timer(grace_s, self.kill)
            timer.daemon = True
            timer.start()

    def kill(self) -> None:
        """End the worker and anything it started now (SIGKILL to its process group)."""
        if self.proc.poll() is None:
            self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:  # it ended meanwhile
            pass


def run_blocking(python: str, job_path: str, env: dict[str, str] | None = None, cwd: str | None = None) -> tuple[int, Sequence[dict[str, Any]]]:
    """Run a worker to the end; return its exit status and every event it sent."""
    worker = WorkerProcess(python, job_path, env=env, cwd=cwd)
    code = worker.wait()
    return code, worker.drain()
