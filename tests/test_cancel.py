"""Cancel is prompt in every phase: a first signal stops at once and cleans up, a second one kills.

Phases that would otherwise finish before a signal is noticed are made to hang on purpose: a
``VOS_FFMPEG`` wrapper stalls the ffmpeg call of the phase under test (as a hung network drive
or a slow input would), and ``pipe`` is given a stdin that never delivers a frame.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from plugin.client import CANCEL_GRACE_S, WorkerProcess
from plugin.outputs import partial_path
from vos_core.media.ffmpeg_process import find_ffmpeg

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
SAMPLE = Path(__file__).resolve().parents[1] / "sample"


def python(code: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE,
                            stdin=subprocess.PIPE, text=True, env=ENV, **kwargs)


def test_first_signal_interrupts_a_blocking_read():
    proc = python("""
        import sys
        from plugin import cancel
        cancel.install()
        try:
            print("ready", flush=True)
            sys.stdin.buffer.read()  # nothing ever comes
        except cancel.Cancelled:
            print("cancelled", flush=True)
            sys.exit(cancel.exit_status())
    """)
    assert proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 143
    assert proc.stdout.read() == "cancelled\n"


def test_deferred_block_finishes_before_cancel_and_a_second_signal_kills():
    code = """
        import sys, time
        from plugin import cancel
        cancel.install()
        try:
            with cancel.deferred():
                print("ready", flush=True)
                time.sleep(float(sys.argv[1]))
                print("finished", flush=True)
        except cancel.Cancelled:
            print("cancelled", flush=True)
    """
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), "1"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0
    assert proc.stdout.read() == "finished\ncancelled\n"  # the block ran to its end, then Cancelled

    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), "60"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert proc.poll() is None  # held by the block
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=5) == -signal.SIGTERM  # the second one is not held


def test_client_kills_a_worker_that_ignores_sigterm_after_the_grace_period(tmp_path):
    stubborn = tmp_path / "python"
    stubborn.write_text("#!/bin/sh\ntrap '' TERM\necho '{\"event\":\"started\"}'\nwhile true; do sleep 1; done\n")
    stubborn.chmod(stubborn.stat().st_mode | stat.S_IEXEC)
    worker = WorkerProcess(str(stubborn), "job.json")
    assert worker.next_event(timeout=10) == {"event": "started"}
    start = time.monotonic()
    worker.cancel(grace_s=1.0)
    assert worker.wait(timeout=10) == -signal.SIGKILL
    assert 0.9 < time.monotonic() - start < 5


# --- the CLI, phase by phase -------------------------------------------------------------------

W, H, FRAMES = 64, 48, 12


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, Path]:
    """A 12-frame 64×48 test clip and a mask for it."""
    root = tmp_path_factory.mktemp("cancel")
    video, mask = root / "clip.mkv", root / "mask.png"
    made = subprocess.run([find_ffmpeg(), "-v", "error", "-f", "lavfi", "-i", f"testsrc=s={W}x{H}:r=25",
                           "-frames:v", str(FRAMES), "-c:v", "ffv1", str(video)], capture_output=True, check=False)
    assert made.returncode == 0, made.stderr
    drawn = np.zeros((H, W), np.uint8)
    drawn[10:30, 20:40] = 255
    cv2.imwrite(str(mask), drawn)
    return video, mask


def stalling_ffmpeg(folder: Path, phase: str) -> tuple[Path, Path]:
    """A VOS_FFMPEG wrapper that hangs the ffmpeg call whose arguments contain ``phase``.

    Returns the wrapper and the file it writes the hung process's pid to when it starts hanging.
    """
    wrapper, mark = folder / "ffmpeg", folder / "stalled.pid"
    wrapper.write_text(f'#!/bin/sh\ncase "$*" in *"{phase}"*) echo $$ > {mark}; exec sleep 600;; esac\n'
                       f'exec {find_ffmpeg()} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    return wrapper, mark


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def assert_cancelled_promptly(proc: subprocess.Popen, sig: int, status: int) -> str:
    start = time.monotonic()
    proc.send_signal(sig)
    assert proc.wait(timeout=20) == status
    assert time.monotonic() - start < 5
    err = proc.stderr.read()
    assert '{"event":"cancelled"}' in err and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("phase, stall_on", [("probing", "framecrc"), ("decoding up to the mask frame", "select")])
def test_cli_cancels_a_stalled_phase_and_stops_its_ffmpeg(tmp_path, clip, phase, stall_on):
    wrapper, mark = stalling_ffmpeg(tmp_path, stall_on)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hosts.ffmpeg.cli", "--progress", "json", "segment", str(clip[0]), "--mask",
         str(clip[1]), "--mask-frame", "5", "-o", str(out / "matte.mkv"), "--iters", "0"],
        stderr=subprocess.PIPE, text=True, env={**ENV, "VOS_FFMPEG": str(wrapper)},
    )
    wait_for(lambda: mark.exists() and mark.read_text().strip())
    stalled = int(mark.read_text())
    assert_cancelled_promptly(proc, signal.SIGTERM, 143)
    assert not running(stalled), f"the ffmpeg {phase} was left running"
    assert not out.exists() or not list(out.iterdir())


def reading_stdin(pid: int) -> bool:
    """Whether ``pid`` sleeps in a read of its fd 0 from a pipe (Linux /proc)."""
    try:
        wchan = Path(f"/proc/{pid}/wchan").read_text()
        fd = Path(f"/proc/{pid}/syscall").read_text().split()[1]
    except (OSError, IndexError):
        return False
    return "pipe_read" in wchan and fd == "0x0"


def test_pipe_cancels_while_stdin_delivers_nothing(clip):
    proc = subprocess.Popen(
        [sys.executable, "-m", "hosts.ffmpeg.cli", "--progress", "json", "pipe", "--size", f"{W}x{H}", "--mask",
         str(clip[1]), "--iters", "0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )
    wait_for(lambda: reading_stdin(proc.pid))
    assert_cancelled_promptly(proc, signal.SIGINT, 130)
    proc.stdin.close()


def test_worker_cancels_while_loading_the_core(tmp_path, clip):
    """SIGTERM while the worker still imports torch: no traceback, exit 143, a cancelled event."""
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(3):
        cv2.imwrite(str(frames / f"{i:05d}.png"), np.full((H, W, 3), 40 * i, np.uint8))
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"input": str(frames), "mask": str(clip[1]), "output": str(tmp_path / "o")}))
    worker = WorkerProcess(sys.executable, str(job), env=ENV)
    wait_for(lambda: "libtorch" in Path(f"/proc/{worker.proc.pid}/maps").read_text())
    worker.cancel()
    assert worker.wait(timeout=20) == 143
    events = worker.drain()
    assert events[-1] == {"event": "cancelled"} and not any(e["event"] == "error" for e in events), events
    assert not any("Traceback" in line for line in worker.stderr_tail), worker.stderr_tail
    assert not (tmp_path / "o").exists()


def worker_job(folder: Path, movie: Path, mask: Path, mask_frame: int) -> str:
    """A worker job segmenting ``movie`` from ``mask`` drawn on ``mask_frame`` (later than 0: a clip store is used)."""
    job = folder / "job.json"
    job.write_text(json.dumps({"input": str(movie), "mask": str(mask), "mask_frame": mask_frame,
                               "output": str(folder / "mattes"), "settings": {"finetune_iters": 3, "infer_height": 120}}))
    return str(job)


def parent_of(pid: int) -> int:
    """The pid of ``pid``'s parent (Linux /proc)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_killing_a_worker_ends_the_ffmpeg_it_started(tmp_path, clip):
    """A host's kill (SIGKILL to the worker's process group) reaches an ffmpeg hung on its input.

    A decoder writing to the worker dies of the broken pipe anyway; one stalled on a slow input
    or output, as the wrapper makes it here, would outlive the worker in a group of its own.
    """
    wrapper, mark = stalling_ffmpeg(tmp_path, "select")
    worker = WorkerProcess(sys.executable, worker_job(tmp_path, *clip, 5), env={**ENV, "VOS_FFMPEG": str(wrapper)})
    wait_for(lambda: mark.exists() and mark.read_text().strip())
    stalled = int(mark.read_text())
    assert running(stalled) and parent_of(stalled) == worker.proc.pid, "the stalled ffmpeg is not the worker's child"
    try:
        worker.kill()
        assert worker.wait(timeout=10) == -signal.SIGKILL
        wait_for(lambda: not running(stalled), timeout=2)
    finally:
        with contextlib.suppress(ProcessLookupError):  # a failed check leaves no orphan behind
            os.kill(stalled, signal.SIGKILL)


def test_a_cancelled_worker_removes_its_clip_store_within_the_grace_period(tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    job = worker_job(tmp_path, SAMPLE / "blackswan.mp4", SAMPLE / "blackswan_mask.png", 10)
    worker = WorkerProcess(sys.executable, job, env={**ENV, "TMPDIR": str(temp)})
    event = {}
    while event.get("stage") != "segment":  # the scan into the store has begun
        event = worker.next_event(timeout=120)
        assert event is not None and event["event"] not in ("error", "done"), worker.stderr_tail
    (store,) = temp.glob("vos-matte-*")
    start = time.monotonic()
    worker.cancel()
    assert worker.wait(timeout=20) == 143  # not killed: it finished cleaning up within CANCEL_GRACE_S
    assert time.monotonic() - start < CANCEL_GRACE_S
    events = worker.drain()
    assert events[-1] == {"event": "cancelled"} and not any(e["event"] == "error" for e in events), events
    assert not store.exists()
    assert not any(tmp_path.glob(".mattes*"))


def test_the_next_run_removes_what_a_killed_run_left(tmp_path):
    """SIGKILL leaves the clip store and the hidden partial output; the next run to the same output
    removes both, and leaves another run's tagged partial output alone."""
    temp, out = tmp_path / "tmp", tmp_path / "out" / "matte.mkv"
    temp.mkdir()
    out.parent.mkdir()
    other = partial_path(out, "another-run", ".mkv")
    other.write_bytes(b"another run's")
    command = [sys.executable, "-m", "hosts.ffmpeg.cli", "--progress", "json", "segment", str(SAMPLE / "blackswan.mp4"),
               "--mask", str(SAMPLE / "blackswan_mask.png"), "--mask-frame", "10", "-o", str(out), "--iters", "3",
               "--infer-height", "120"]
    env = {**ENV, "TMPDIR": str(temp)}
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    for text in proc.stderr:  # until the scan into the clip store has begun
        if '"stage":"segment"' in text:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = partial_path(out, suffix=".mkv")
    assert partial.exists() and len(list(temp.glob("vos-matte-*"))) == 1, "the killed run left nothing to clean up"
    again = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert again.returncode == 0, again.stderr
    assert sorted(out.parent.iterdir()) == sorted([out, other]) and other.read_bytes() == b"another run's"
    assert not list(temp.glob("vos-matte-*"))
