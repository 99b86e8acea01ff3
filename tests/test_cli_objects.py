"""The CLI's keyframes, objects, range and index-map output, and batch files in the shared job form.

Real blackswan frames at 1/4 size; no fine-tuning (``--iters 0``), so these stay in the fast tier.
"""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from small_clip import write_small_clip

from hosts.ffmpeg.cli import build_parser
from hosts.ffmpeg.job_options import frame_and_file, job_fields
from plugin.jobs import Job, MaskRef
from plugin.outputs import MARKER
from vos_core import read_mask
from vos_core.media.ffmpeg_process import find_ffmpeg

FAST = ["--iters", "0", "--infer-height", "64", "--detector", "none"]


def vos(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hosts.ffmpeg.cli", *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def swan(tmp_path_factory, davis_root):
    """Six 214×120 blackswan frames (PNG), the ground truth of frame 0 and of frame 4, and a half-swan mask."""
    root = write_small_clip(tmp_path_factory.mktemp("swan"), davis_root, ext="png")
    later = read_mask(davis_root / "Annotations/480p/blackswan/00004.png")
    cv2.imwrite(str(root / "mask4.png"), cv2.resize(later, (214, 120), interpolation=cv2.INTER_NEAREST))
    half = read_mask(root / "mask.png")
    half[:, : half.shape[1] // 2] = 0
    cv2.imwrite(str(root / "half.png"), half)
    return root


def parse(*argv: str) -> Job:
    return Job.from_dict(job_fields(build_parser().parse_args(["segment", "clip.mp4", *argv])))


def test_masks_group_under_objects_and_take_frames():
    job = parse("--mask", "a.png", "--mask", "12:b.png", "--object", "dog", "--mask", "3:c.png",
                "--mask-frame", "2", "-o", "m/{object}.mkv", "--start", "1", "--end", "20")
    (first, dog) = job.objects
    assert (first.id, first.label, first.keyframes) == (1, "1", (MaskRef(2, "a.png"), MaskRef(12, "b.png")))
    assert (dog.id, dog.label, dog.keyframes) == (2, "dog", (MaskRef(3, "c.png"),))
    assert (job.start, job.end) == (1, 20)


def test_index_masks_name_objects_by_order():
    job = parse("--object", "rider", "--object", "bike", "--index-mask", "5:anno.png", "-o", "m/{object}/")
    assert [(o.id, o.name, o.keyframes) for o in job.objects] == [(1, "rider", ()), (2, "bike", ())]
    assert job.index_masks == (MaskRef(5, "anno.png"),)


def test_a_file_whose_name_looks_like_a_frame_is_a_file(tmp_path):
    odd = tmp_path / "7:odd.png"
    odd.touch()
    assert frame_and_file(str(odd)) == (None, str(odd))
    assert frame_and_file("7:odd.png") == (7, "odd.png")


def test_help_documents_keyframes_objects_and_range():
    run = vos("segment", "--help")
    assert run.returncode == 0
    for words in ("[FRAME:]FILE", "--object NAME", "--index-mask", "--start", "--end", "{object}", "keyframe",
                  "a correction on frame 80"):
        assert words in run.stdout, words


def test_a_malformed_job_is_a_usage_error(swan, tmp_path):
    run = vos("segment", str(swan / "frames"), "--object", "a", "--mask", str(swan / "mask.png"), "--object", "b",
              "--mask", str(swan / "half.png"), "-o", str(tmp_path / "one.mkv"), *FAST)
    assert run.returncode == 2
    assert run.stderr.strip().endswith("needs {object} in its name: there may be several objects, each gets its own file")


def test_keyframes_two_objects_range_and_index_map(swan, tmp_path):
    """Two objects on different keyframes, frames 1..4 only: per-object mattes span the clip (empty
    outside the range), a keyframe comes out as drawn, and the index map holds both ids.

    (Who owns an overlapping pixel is the core's to test: with no fine-tuning both objects share one
    network, so their maps tie everywhere.)"""
    out = tmp_path / "out"
    run = vos("--progress", "json", "segment", str(swan / "frames"),
              "--object", "swan", "--mask", f"0:{swan / 'mask.png'}", "--mask", f"4:{swan / 'mask4.png'}",
              "--object", "tail", "--mask", f"2:{swan / 'half.png'}",
              "--start", "1", "--end", "4", "-o", str(out / "{object}"), "--index", str(out / "ids"), *FAST)
    assert run.returncode == 0, run.stderr
    events = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    assert events[0]["event"] == "started" and events[0]["frames"] == 4
    assert events[-1]["event"] == "done" and sorted(events[-1]["outputs"]) == [str(out / n) for n in ("ids", "swan", "tail")]
    names = [f"{i:05d}.png" for i in range(6)]
    for folder in ("swan", "tail", "ids"):
        assert sorted(p.name for p in (out / folder).iterdir()) == [MARKER, *names]
    swan_mattes = [read_mask(out / "swan" / n) for n in names]
    tail_mattes = [read_mask(out / "tail" / n) for n in names]
    for i in (0, 5):  # outside the range
        assert not swan_mattes[i].any() and not tail_mattes[i].any()
    np.testing.assert_array_equal(swan_mattes[4], read_mask(swan / "mask4.png"))  # a keyframe is its drawing
    np.testing.assert_array_equal(tail_mattes[2], read_mask(swan / "half.png"))
    for i in range(1, 5):
        assert swan_mattes[i].any()
        ids = cv2.imread(str(out / "ids" / names[i]), cv2.IMREAD_GRAYSCALE)
        expected = np.where(tail_mattes[i] > 0, 2, np.where(swan_mattes[i] > 0, 1, 0))  # the higher id is drawn last
        np.testing.assert_array_equal(ids, expected)


def test_matte_depth_16_keeps_soft_levels_in_png_and_ffv1_mattes_and_ids_stay_8_bit(swan, tmp_path):
    out = tmp_path / "out"
    run = vos("segment", str(swan / "frames"), "--mask", str(swan / "mask.png"), "--end", "2", "--edge", "soft",
              "--matte-depth", "16", "-o", str(out / "png"), "-o", str(out / "matte.mkv"), "--index", str(out / "ids"),
              *FAST)
    assert run.returncode == 0, run.stderr
    png = cv2.imread(str(out / "png" / "00001.png"), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint16
    assert np.any(png % 257), "levels between the 8-bit ones: soft alpha kept at 16 bits"
    assert cv2.imread(str(out / "ids" / "00001.png"), cv2.IMREAD_UNCHANGED).dtype == np.uint8
    decoded = subprocess.run([find_ffmpeg(), "-v", "error", "-i", str(out / "matte.mkv"), "-frames:v", "2",
                              "-f", "rawvideo", "-pix_fmt", "gray16le", "-"], capture_output=True, check=True).stdout
    np.testing.assert_array_equal(np.frombuffer(decoded, np.uint16).reshape(2, *png.shape)[1], png)


def test_a_lossy_index_output_is_refused(swan, tmp_path):
    run = vos("segment", str(swan / "frames"), "--mask", str(swan / "mask.png"), "--index", str(tmp_path / "ids.mov"),
              *FAST)
    assert run.returncode == 2 and "ids need a lossless format" in run.stderr


def test_batch_takes_the_shared_job_form_and_old_rows(swan, tmp_path):
    jobs = [
        {"version": 2, "input": str(swan / "frames"), "start": 2,
         "objects": [{"id": 1, "name": "swan", "keyframes": [{"frame": 4, "mask": str(swan / "mask4.png")}]}],
         "outputs": [{"kind": "matte", "path": str(tmp_path / "new" / "{object}")}]},
        {"input": str(swan / "frames"), "mask": str(swan / "mask.png"), "output": str(tmp_path / "old")},
        {"input": str(swan / "frames"), "mask": str(swan / "mask.png"), "mask_frame": 9, "output": str(tmp_path / "bad")},
    ]
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    run = vos("batch", str(tmp_path / "jobs.json"), *FAST)
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("ok") and lines[1].startswith("ok") and lines[2].startswith("FAILED")
    assert "is for frame 9, but" in lines[2] and lines[-1] == "2 of 3 clips done"
    np.testing.assert_array_equal(read_mask(tmp_path / "new" / "swan" / "00004.png"), read_mask(swan / "mask4.png"))
    assert not read_mask(tmp_path / "new" / "swan" / "00001.png").any()  # before --start
    np.testing.assert_array_equal(read_mask(tmp_path / "old" / "00000.png"), read_mask(swan / "mask.png"))


def test_batch_rows_that_are_malformed_name_their_row(swan, tmp_path):
    (tmp_path / "jobs.csv").write_text(f"input,mask,output,start\n{swan / 'frames'},{swan / 'mask.png'},o,x\n")
    run = vos("batch", str(tmp_path / "jobs.csv"), *FAST)
    assert run.returncode == 2 and "job 1: invalid literal for int()" in run.stderr


def test_a_csv_row_with_an_extra_cell_names_its_row(swan, tmp_path):
    """Was an internal TypeError (csv files the extra cell under the key None)."""
    (tmp_path / "jobs.csv").write_text(f"input,mask,output\n{swan / 'frames'},{swan / 'mask.png'},o,surplus\n")
    run = vos("batch", str(tmp_path / "jobs.csv"), *FAST)
    assert run.returncode == 2
    assert run.stderr.splitlines()[-1] == "vos-matte: error: job 1: the row has 1 more cell(s) than the header has columns"


def test_a_rows_settings_are_checked_before_any_clip_runs(swan, tmp_path):
    jobs = [{"input": str(swan / "frames"), "mask": str(swan / "mask.png"), "output": str(tmp_path / "a")},
            {"input": str(swan / "frames"), "mask": str(swan / "mask.png"), "output": str(tmp_path / "b"),
             "settings": {"temporal": "no"}}]
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    run = vos("batch", str(tmp_path / "jobs.json"), *FAST)
    assert run.returncode == 2
    assert run.stderr.splitlines()[-1] == "vos-matte: error: job 2: settings: temporal must be true or false, got 'no'"
    assert not (tmp_path / "a").exists()


def test_pipe_takes_its_mask_on_the_first_frame(swan):
    """stdin is read once: backward propagation from a later keyframe is impossible, so pipe says so up front."""
    run = subprocess.run([sys.executable, "-m", "hosts.ffmpeg.cli", "pipe", "--size", "214x120", "--mask",
                          str(swan / "mask.png"), "--mask-frame", "2"], input="", capture_output=True, text=True,
                         check=False)
    assert run.returncode == 1 and "the mask must be drawn on its first frame (--mask-frame 0)" in run.stderr
