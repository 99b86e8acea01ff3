"""How the ffmpeg host fails: early, in one sentence, keeping what it could finish, leaving no temp files.

No fine-tuning here (``--iters 0``): the clips are tiny test patterns and DAVIS frames.
"""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from small_clip import write_small_clip

import hosts.ffmpeg.segment as segment_module
from hosts.ffmpeg.cli import main
from hosts.ffmpeg.segment import run_clip
from hosts.ffmpeg.sinks import FfmpegSink
from plugin.client import run_blocking
from plugin.jobs import Job
from plugin.outputs import MARKER
from vos_core import FrameResult, VosError, read_mask
from vos_core.media.ffmpeg_process import find_ffmpeg

FAST = ["--iters", "0", "--infer-height", "64", "--detector", "none"]


def make_clip(path, width: int, height: int, frames: int = 6) -> None:
    made = subprocess.run([find_ffmpeg(), "-v", "error", "-f", "lavfi", "-i", f"testsrc=s={width}x{height}:r=25",
                           "-frames:v", str(frames), "-c:v", "ffv1", str(path)], capture_output=True, check=False)
    assert made.returncode == 0, made.stderr


def make_mask(path, width: int, height: int) -> None:
    drawn = np.zeros((height, width), np.uint8)
    drawn[height // 4: height // 2, width // 4: width // 2] = 255
    cv2.imwrite(str(path), drawn)


def vos(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hosts.ffmpeg.cli", *args], capture_output=True, text=True, check=False)


def test_an_output_the_encoder_refuses_is_reported_before_segmenting(tmp_path):
    """853×479 to H.264 4:2:0 (even sizes only): refused up front, nothing written, no model loaded."""
    clip, mask, out = tmp_path / "odd.mkv", tmp_path / "mask.png", tmp_path / "out"
    make_clip(clip, 853, 479)
    make_mask(mask, 853, 479)
    run = vos("--progress", "json", "segment", str(clip), "--mask", str(mask), "-o", str(out / "matte.mkv"),
              "--alpha", str(out / "alpha.mov"), "--composite", str(out / "over.mp4"), *FAST)
    assert run.returncode == 2, run.stderr
    events = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events] == ["error"]  # no "started": the network was never loaded
    assert "over.mp4" in events[0]["message"] and "needs an even width and height" in events[0]["message"]
    assert run.stderr.splitlines()[-1] == f"vos-matte: error: {events[0]['message']}"
    assert not out.exists() or not list(out.iterdir())


def test_outputs_that_finished_are_kept_when_another_fails(tmp_path, monkeypatch):
    clip, mask, out = tmp_path / "clip.mkv", tmp_path / "mask.png", tmp_path / "out"
    make_clip(clip, 64, 48)
    make_mask(mask, 64, 48)
    commit = FfmpegSink.commit

    def commit_or_fail(self):
        if self.path.name == "alpha.mov":
            raise VosError(f"ffmpeg failed writing {self.path}: disk full")
        return commit(self)

    monkeypatch.setattr(FfmpegSink, "commit", commit_or_fail)
    outputs = [{"kind": kind, "path": str(out / name)} for kind, name in (("matte", "matte.mkv"), ("alpha", "alpha.mov"),
                                                                          ("matte", "png"))]
    job = Job.from_dict({"version": 2, "input": str(clip), "outputs": outputs,
                         "objects": [{"id": 1, "keyframes": [{"frame": 0, "mask": str(mask)}]}],
                         "settings": {"finetune_iters": 0, "infer_height": 64, "detector": "none"}})
    with pytest.raises(VosError, match=rf"alpha.mov: disk full; kept {out / 'matte.mkv'}, {out / 'png'}$"):
        run_clip(job, lambda kind, fields: None, lambda: False)
    assert sorted(p.name for p in out.iterdir()) == ["matte.mkv", "png"]  # no alpha.mov, no hidden partials
    np.testing.assert_array_equal(read_mask(out / "png" / "00000.png"), read_mask(mask))


def test_a_folder_of_the_users_given_as_output_is_refused_and_left_in_place(tmp_path):
    """Issue 24's reproduction: ``-o victim`` where victim/ holds a note and a subfolder."""
    clip, mask, victim = tmp_path / "clip.mkv", tmp_path / "mask.png", tmp_path / "victim"
    make_clip(clip, 64, 48)
    make_mask(mask, 64, 48)
    (victim / "sub").mkdir(parents=True)
    (victim / "important.txt").write_text("keep me")
    run = vos("segment", str(clip), "--mask", str(mask), "-o", str(victim), *FAST)
    assert run.returncode == 1, run.stderr
    assert run.stderr.splitlines()[-1] == (f"vos-matte: error: {victim} holds important.txt, which vos-matte did not "
                                           "write, so it is not replaced: empty it or choose another output folder")
    assert sorted(p.name for p in victim.iterdir()) == ["important.txt", "sub"]
    assert (victim / "important.txt").read_text() == "keep me"


@pytest.mark.parametrize(("name", "template"), [(".", "mattes/{object}"), ("..", "jail/x/{object}/{object}/escaped")])
def test_object_names_that_would_escape_the_output_folder_are_refused(tmp_path, name, template):
    """Issue 24's reproductions: ``.`` replaced mattes/ (and the notes in it), ``..`` wrote outside jail/."""
    clip, mask = tmp_path / "clip.mkv", tmp_path / "mask.png"
    make_clip(clip, 64, 48)
    make_mask(mask, 64, 48)
    (tmp_path / "mattes").mkdir()
    (tmp_path / "mattes" / "other_shot_notes.txt").write_text("keep me")
    before = sorted(tmp_path.rglob("*"))
    run = vos("segment", str(clip), "--object", name, "--mask", str(mask), "-o", str(tmp_path / template), *FAST)
    assert run.returncode == 2, run.stderr
    assert run.stderr.splitlines()[-1].startswith(f"vos-matte: error: object 1: name {name!r} names output files")
    assert sorted(tmp_path.rglob("*")) == before
    assert (tmp_path / "mattes" / "other_shot_notes.txt").read_text() == "keep me"


def test_an_internal_error_is_one_sentence_and_an_event_and_leaves_no_temp_files(
    tmp_path, monkeypatch, capsys, restore_signals
):
    clip, mask, out = tmp_path / "clip.mkv", tmp_path / "mask.png", tmp_path / "out"
    make_clip(clip, 64, 48)
    make_mask(mask, 64, 48)

    def broken(*args, **kwargs):
        yield FrameResult(0, {1: np.zeros((48, 64), np.float32)}, {1: np.zeros((48, 64), np.uint8)},
                          frame=np.zeros((48, 64, 3), np.uint8))
        raise IndexError("list index out of range")

    monkeypatch.setattr(segment_module, "start_segmenting", broken)
    status = main(["--progress", "json", "segment", str(clip), "--mask", str(mask), "-o", str(out / "m.mkv"),
                   "--alpha", str(out / "a_png")])
    err = capsys.readouterr().err.splitlines()
    assert status == 1
    message = "internal error (IndexError: list index out of range); please report it"
    assert json.loads(err[-2]) == {"event": "error", "message": message, "kind": "internal"}
    assert err[-1] == f"vos-matte: error: {message}"
    assert list(out.iterdir()) == []  # both outputs' partial files removed


def test_an_explicit_weights_path_that_does_not_exist_stops_the_cli_first(tmp_path):
    clip, mask = tmp_path / "clip.mkv", tmp_path / "mask.png"
    make_clip(clip, 64, 48)
    make_mask(mask, 64, 48)
    typo = tmp_path / "weigths" / "parent_fp16.pth"
    run = vos("--progress", "json", "segment", str(clip), "--mask", str(mask), "-o", str(tmp_path / "m.mkv"),
              "--weights", str(typo), "--iters", "0")
    assert run.returncode == 1
    assert json.loads(run.stderr.splitlines()[0])["event"] == "error"
    assert run.stderr.splitlines()[-1] == f"vos-matte: error: weights not found: {typo} (no such file or folder)"


@pytest.fixture(scope="module")
def swan_folder(tmp_path_factory, davis_root):
    """Six blackswan frames at 1/4 size as an image folder, and the ground truth of frame 3."""
    return write_small_clip(tmp_path_factory.mktemp("swan"), davis_root, mask_frame=3, ext="png")


def test_mask_frame_after_the_first_on_the_cli(swan_folder, tmp_path):
    out = tmp_path / "mattes"
    run = vos("--progress", "json", "segment", str(swan_folder / "frames"), "--mask", str(swan_folder / "mask.png"),
              "--mask-frame", "3", "-o", str(out), *FAST)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in out.iterdir()) == [MARKER, *(f"{i:05d}.png" for i in range(6))]
    # The annotated frame's matte is the editor's mask: it went with frame 3, not frame 0.
    np.testing.assert_array_equal(read_mask(out / "00003.png"), read_mask(swan_folder / "mask.png"))


def test_mask_frame_beyond_an_image_folder_is_a_clear_error(swan_folder, tmp_path):
    run = vos("segment", str(swan_folder / "frames"), "--mask", str(swan_folder / "mask.png"), "--mask-frame", "99",
              "-o", str(tmp_path / "m.mkv"))
    assert run.returncode == 1
    message = f"mask {swan_folder / 'mask.png'} is for frame 99, but {swan_folder / 'frames'} has 6 frames"
    assert run.stderr == f"vos-matte: error: {message}\n"

    job = tmp_path / "job.json"
    job.write_text(json.dumps({"input": str(swan_folder / "frames"), "mask": str(swan_folder / "mask.png"),
                               "output": str(tmp_path / "o"), "mask_frame": 99}))
    code, events = run_blocking(sys.executable, str(job))
    assert code == 1
    assert events[-1] == {"event": "error", "kind": "InputError", "message": message}
