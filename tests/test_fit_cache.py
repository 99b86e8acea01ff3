"""The fit cache: what keys an entry, and how it copes with damaged or concurrent entries."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest
import torch

from plugin.batch_manifest import fingerprint
from plugin.correction import RECORD, RunRecord
from plugin.fit_cache import INFERENCE_SETTINGS, STALE_S, FitCache, clip_identity, clip_key
from plugin.jobs import Job
from vos_core import SegmentConfig
from vos_core.propagation import Keyframe

#: A valid other value for the settings that :func:`other` would make invalid.
ALTERNATES = {"precision": "float32", "crop_size": 64, "crop_context": 1.0, "detector": "none", "postprocess": "clip",
              "upsample": "guided", "threshold": 0.5, "high_threshold": 0.9, "calibrate_threshold": 0.2}


def changed(config: SegmentConfig, name: str) -> SegmentConfig:
    """``config`` with setting ``name`` changed to another valid value."""
    return replace(config, **{name: ALTERNATES.get(name, other(getattr(config, name)))})


def other(value):
    """Another value of the same kind as ``value``."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, tuple):
        return tuple(v + 0.1 for v in value)
    if value is None:
        return 0.5
    return f"{value}-other"


def key(config: SegmentConfig, tmp_path, clip: str = "clip.mp4") -> str:
    return clip_key(tmp_path / clip, config, tmp_path / "parent.pth", 1)


@pytest.mark.parametrize("name", [f.name for f in fields(SegmentConfig) if f.name not in INFERENCE_SETTINGS])
def test_every_setting_fine_tuning_may_read_keys_the_cache(name, tmp_path):
    """augment_scale and precision were left out once: changing them reused the old network."""
    config = SegmentConfig()
    assert key(changed(config, name), tmp_path) != key(config, tmp_path)


def test_inference_settings_are_real_settings_and_do_not_key_the_cache(tmp_path):
    config = SegmentConfig()
    assert INFERENCE_SETTINGS <= {f.name for f in fields(SegmentConfig)}
    for name in INFERENCE_SETTINGS:
        assert key(changed(config, name), tmp_path) == key(config, tmp_path), name


def frames_folder(tmp_path, n: int = 8):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(n):
        (folder / f"{i:05d}.jpg").write_bytes(b"frame %d" % i)
    return folder


def overwrite(frame) -> None:
    """Frame changed in place: same name, new bytes, a later modification time; the folder's own time stays."""
    folder_time = frame.parent.stat().st_mtime_ns
    frame.write_bytes(b"redrawn frame, longer")
    os.utime(frame, ns=(frame.stat().st_atime_ns, frame.stat().st_mtime_ns + 10**9))
    os.utime(frame.parent, ns=(folder_time, folder_time))


@pytest.mark.parametrize("form", ["folder", "pattern"])
def test_frames_changed_in_place_change_the_clips_identity(tmp_path, form):
    """Overwriting frames 5-7 of an image sequence kept their old mattes in a correction run."""
    folder = frames_folder(tmp_path)
    clip = str(folder) if form == "folder" else str(folder / "%05d.jpg")
    config = SegmentConfig()
    before = clip_identity(clip), key(config, tmp_path, clip)
    record = RunRecord.of(clip, config, tmp_path / "parent.pth", {1: []}, 0, 7)
    overwrite(folder / "00005.jpg")
    assert clip_identity(clip) != before[0]
    assert key(config, tmp_path, clip) != before[1]
    assert RunRecord.of(clip, config, tmp_path / "parent.pth", {1: []}, 0, 7).key != record.key


def test_a_pattern_names_only_its_own_frames(tmp_path):
    folder = frames_folder(tmp_path, 2)
    (folder / "notes.txt").write_text("not a frame")
    (folder / "00000.png").write_bytes(b"another sequence")
    assert [name for name, _, _ in clip_identity(str(folder / "%05d.jpg"))[1]] == ["00000.jpg", "00001.jpg"]
    assert [name for name, _, _ in clip_identity(folder)[1]] == ["00000.jpg", "00000.png", "00001.jpg"]


def test_a_batch_rerun_sees_frames_changed_in_place(tmp_path):
    """The batch manifest's fingerprint reads the same identity: the shot is not called up to date."""
    folder = frames_folder(tmp_path)
    (tmp_path / "m.png").write_bytes(b"mask")
    job = Job.from_dict({"input": str(folder), "mask": str(tmp_path / "m.png"), "output": str(tmp_path / "out")})
    before = fingerprint(job)
    overwrite(folder / "00005.jpg")
    assert fingerprint(job) != before


MASK = np.zeros((8, 8), np.uint8)


@pytest.mark.parametrize("index", ["[1, 2]", '{"keyframes": 5}', '{"keyframes": {"0": 5}}', "{not json", '"text"'])
def test_a_damaged_index_entry_is_a_miss_that_names_its_file(tmp_path, index):
    """Each of these was an internal error (AttributeError, TypeError) that broke the clip for good."""
    cache, heard = FitCache(tmp_path), []
    cache.store("clip", [Keyframe(0, MASK)], {"w": torch.ones(2)})
    (entry,) = tmp_path.glob("clip-*.json")
    entry.write_text(index)
    assert cache.lookup("clip", [Keyframe(0, MASK)], 7, heard.append) is None
    assert len(heard) == 1 and str(entry) in heard[0] and "skipped" in heard[0]
    cache.store("clip", [Keyframe(0, MASK)], {"w": torch.ones(2)})  # storing the fit again mends it
    assert cache.lookup("clip", [Keyframe(0, MASK)], 7)[1] == 0


def test_damaged_weights_are_a_miss_that_names_their_file(tmp_path):
    cache, heard = FitCache(tmp_path), []
    cache.store("clip", [Keyframe(0, MASK)], {"w": torch.ones(2)})
    (weights,) = tmp_path.glob("clip-*.pt")
    weights.write_bytes(b"truncated")
    assert cache.lookup("clip", [Keyframe(0, MASK)], 7, heard.append) is None
    assert len(heard) == 1 and heard[0].startswith(f"the fit cache entry {weights} cannot be read (")
    assert heard[0].endswith("), so the object is fine-tuned again")


@pytest.mark.parametrize("record", [
    "[]", "{not json", '{"key": "k", "start": 0, "end": 5}', '{"key": "k", "start": 0, "end": 5, "keyframes": []}',
    '{"key": "k", "start": 0, "end": 5, "keyframes": {"1": ["0"]}}',
    '{"key": "k", "start": 0, "end": 5, "keyframes": {"1": {"first": "ab"}}}',
    '{"key": "k", "start": "0", "end": 5, "keyframes": {}}',
])
def test_a_damaged_run_record_means_redo_everything_and_names_its_file(tmp_path, record):
    (tmp_path / RECORD).write_text(record)
    heard = []
    assert RunRecord.read(tmp_path, heard.append) is None
    assert len(heard) == 1 and heard[0].endswith(", so every frame is segmented again")
    assert heard[0].startswith((f"{tmp_path / RECORD} is damaged", f"{tmp_path / RECORD} cannot be read"))


def test_a_missing_run_record_is_no_record_and_no_notice(tmp_path):
    heard = []
    assert RunRecord.read(tmp_path / "absent", heard.append) is None and RunRecord.read(tmp_path, heard.append) is None
    assert heard == []
    good = RunRecord("k", 0, 5, {"1": {"0": "ab"}})
    good.write(tmp_path)
    assert RunRecord.read(tmp_path, heard.append) == good and heard == []


def entry_bytes(folder, name: str) -> int:
    return sum(p.stat().st_size for p in folder.glob(f"{name}-*"))


def test_the_cache_is_bounded_by_bytes_and_keeps_the_recently_used(tmp_path):
    cache = FitCache(tmp_path)
    for name in ("a", "b"):
        cache.store(name, [Keyframe(0, MASK)], {"w": torch.ones(100)})
        os.utime(next(tmp_path.glob(f"{name}-*.json")), ns=(1, 10**18 + (name == "b")))  # a older than b
    cache.max_bytes = 2 * entry_bytes(tmp_path, "a") + 10
    assert cache.lookup("a", [Keyframe(0, MASK)], 7) is not None  # a is used now: b is the least recent
    cache.store("c", [Keyframe(0, MASK)], {"w": torch.ones(100)})
    assert sorted(p.name[0] for p in tmp_path.glob("*.json")) == ["a", "c"]
    assert sorted(p.name[0] for p in tmp_path.glob("*.pt")) == ["a", "c"]
    cache.max_bytes = 1  # the entry just stored is kept, however large
    cache.store("d", [Keyframe(0, MASK)], {"w": torch.ones(100)})
    assert [p.name[0] for p in tmp_path.iterdir()] == ["d", "d"]


def test_leftovers_of_killed_runs_go_and_another_runs_store_in_progress_stays(tmp_path):
    old, young = time.time() - 2 * STALE_S, time.time()
    for name, when in ((".tmp-killed", old), ("orphan.pt", old), (".tmp-writing", young), ("indexing.pt", young)):
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (when, when))
    FitCache(tmp_path).store("clip", [Keyframe(0, MASK)], {"w": torch.ones(2)})
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("clip-")) == [".tmp-writing", "indexing.pt"]


def test_an_entry_another_process_removes_during_eviction_is_skipped(tmp_path, monkeypatch):
    """Eviction stats every entry; one another process just evicted was a FileNotFoundError after fine-tuning."""
    cache = FitCache(tmp_path)
    cache.store("gone", [Keyframe(0, MASK)], {"w": torch.ones(2)})
    (victim,) = tmp_path.glob("gone-*.json")
    stat = Path.stat

    def evicted_meanwhile(self, *args, **kwargs):
        if self.name == victim.name and os.path.exists(victim):
            os.unlink(victim)
            os.unlink(victim.with_suffix(".pt"))
        return stat(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", evicted_meanwhile)
    cache.store("clip", [Keyframe(0, MASK)], {"w": torch.ones(2)})
    assert [p.name[:4] for p in tmp_path.glob("*.json")] == ["clip"]


WRITER = """
import sys, torch
from plugin.fit_cache import FitCache
from vos_core.propagation import Keyframe
import numpy as np
cache = FitCache(sys.argv[1], max_bytes=20_000)
for n in range(int(sys.argv[3])):
    mask = np.full((4, 4), n % 256, np.uint8)
    cache.store(f"{sys.argv[2]}{n % 7}", [Keyframe(n, mask)], {"w": torch.ones(50)})
    cache.lookup(f"{sys.argv[2]}{(n + 3) % 7}", [Keyframe(n - 1, mask)], 5)
"""


def test_two_processes_storing_and_evicting_in_one_folder_do_not_fail(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), name, "150"], stderr=subprocess.PIPE,
                              text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}) for name in ("p", "q")]
    errors = [proc.communicate()[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], errors
    assert sum(p.stat().st_size for p in tmp_path.iterdir()) <= 20_000 + 2 * entry_bytes(tmp_path, "p")
