"""The fit cache: what keys an entry, and how it copes with damaged or concurrent entries."""

from __future__ import annotations

import os
from dataclasses import fields, replace

import pytest

from plugin.batch_manifest import fingerprint
from plugin.correction import RunRecord
from plugin.fit_cache import INFERENCE_SETTINGS, clip_key, file_identity
from plugin.jobs import Job
from vos_core import SegmentConfig

#: A valid other value for the settings that :func:`other` would make invalid.
ALTERNATES = {"precision": "float32", "crop_size": 64, "crop_context": 1.0, "detector": "none", "postprocess": "clip",
              "upsample": "guided", "threshold": 0.5, "high_threshold": 0.9}


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
    before = file_identity(clip), key(config, tmp_path, clip)
    record = RunRecord.of(clip, config, tmp_path / "parent.pth", {1: []}, 0, 7)
    overwrite(folder / "00005.jpg")
    assert file_identity(clip) != before[0]
    assert key(config, tmp_path, clip) != before[1]
    assert RunRecord.of(clip, config, tmp_path / "parent.pth", {1: []}, 0, 7).key != record.key


def test_a_pattern_names_only_its_own_frames(tmp_path):
    folder = frames_folder(tmp_path, 2)
    (folder / "notes.txt").write_text("not a frame")
    (folder / "00000.png").write_bytes(b"another sequence")
    assert [name for name, _, _ in file_identity(str(folder / "%05d.jpg"))[1]] == ["00000.jpg", "00001.jpg"]
    assert [name for name, _, _ in file_identity(folder)[1]] == ["00000.jpg", "00000.png", "00001.jpg"]


def test_a_batch_rerun_sees_frames_changed_in_place(tmp_path):
    """The batch manifest's fingerprint reads the same identity: the shot is not called up to date."""
    folder = frames_folder(tmp_path)
    (tmp_path / "m.png").write_bytes(b"mask")
    job = Job.from_dict({"input": str(folder), "mask": str(tmp_path / "m.png"), "output": str(tmp_path / "out")})
    before = fingerprint(job)
    overwrite(folder / "00005.jpg")
    assert fingerprint(job) != before
