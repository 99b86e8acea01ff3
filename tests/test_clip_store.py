"""The clip store's temporary folder: its space is checked before a run, and what a killed run left is removed."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

from vos_core import VosError
from vos_core.clip_store import OWNER, ClipStore, store_bytes

SMALL, FULL, CROP = (24, 43), (90, 160), 32


@pytest.fixture
def temp(tmp_path, monkeypatch) -> Path:
    """A private temporary folder: what tempfile.gettempdir() answers (and TMPDIR names) during the test."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    return tmp_path


def test_the_space_check_counts_what_a_full_store_takes(temp):
    with ClipStore(3, SMALL, FULL, [1, 2], CROP) as store:
        mask = np.full(FULL, 255, np.uint8)
        for i in range(store.n):
            store.small[i] = 1
            for oid in (1, 2):
                store.maps[oid][i] = 0.5
                store.put_crop(oid, i, np.ones((CROP, CROP), np.float32), np.eye(2, 3))
                store.put_mask(oid, True, i, mask)
                store.put_mask(oid, False, i, mask)
        written = sum(p.stat().st_size for p in store._dir.glob("*.npy"))
        headers = 128 * len(list(store._dir.glob("*.npy")))  # numpy's .npy header, padded to 128 bytes
    assert written - headers == store_bytes(3, SMALL, FULL, 2, CROP)


def test_too_little_temporary_space_is_one_clear_error_before_anything_is_written(temp, monkeypatch):
    needed = store_bytes(1000, (240, 427), (1080, 1920), 1)
    usage = shutil.disk_usage(temp)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=needed - 1))
    with pytest.raises(VosError, match=rf"^segmenting this range needs {needed / 1e9:.3g} GB of temporary space in "
                                       rf"{temp}, which has {(needed - 1) / 1e9:.3g} GB free: .* set TMPDIR to a "
                                       "folder on a larger disk$"):
        ClipStore(1000, (240, 427), (1080, 1920), [1])
    assert not list(temp.iterdir())
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=needed))
    ClipStore(1000, (240, 427), (1080, 1920), [1]).close()


def leftover(temp: Path, pid: int, host: str | None = None, owner: bool = True) -> Path:
    """A store folder as process ``pid`` on ``host`` (this one by default) leaves it; without the owner file: not ours."""
    folder = Path(tempfile.mkdtemp(prefix=f"vos-matte-{pid}-", dir=temp))
    (folder / "small.npy").write_bytes(b"a frame")
    if owner:
        (folder / OWNER).write_text(f"{pid} {host or socket.gethostname()}")
    return folder


def dead_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_store_removes_folders_of_dead_runs_on_this_host_only(temp):
    gone = dead_pid()
    dead = leftover(temp, gone)
    kept = [leftover(temp, os.getpid()), leftover(temp, gone, host="another-node"), leftover(temp, gone, owner=False)]
    with ClipStore(2, SMALL, FULL, [1]) as store:
        assert store._dir.name.startswith(f"vos-matte-{os.getpid()}-")
        assert (store._dir / OWNER).read_text() == f"{os.getpid()} {socket.gethostname()}"
        assert not dead.exists()
        assert all((folder / "small.npy").exists() for folder in kept)
    assert sorted(temp.iterdir()) == sorted(kept)


def test_the_store_of_a_killed_process_is_removed_by_the_next_store(temp):
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from vos_core.clip_store import ClipStore
        store = ClipStore(2, {SMALL}, {FULL}, [1])
        print(store._dir, flush=True)
        time.sleep(600)
    """)], stdout=subprocess.PIPE, text=True)
    folder = Path(proc.stdout.readline().strip())
    assert folder.parent == temp and folder.is_dir()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert folder.is_dir()  # a SIGKILL leaves it behind
    ClipStore(2, SMALL, FULL, [1]).close()
    assert not folder.exists()
