"""The ffmpeg host end to end: the real ffmpeg binary on a DAVIS clip encoded to H.264.

The expensive segmentation runs once per module (every output format written in that one run)
and the tests inspect its outputs; pipe mode, batch and cancel each run the CLI once more.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from hosts.ffmpeg.cli import main
from hosts.ffmpeg.formats import FORMATS, UsageError, resolve
from plugin.outputs import MARKER
from vos_core import read_mask
from vos_core.eval.metrics import jaccard
from vos_core.media.ffmpeg_input import exact_rate, open_input, probe
from vos_core.media.ffmpeg_process import find_ffmpeg
from vos_core.media.masks import resize_mask

SEQ, STRIDE, FRAMES = "blackswan", 3, 12  # every 3rd frame: the swan moves enough to beat copying
W, H = 426, 240
RATE = Fraction(30000, 1001)  # a rate ffmpeg prints rounded (29.97), so exactness is tested
ITERS = "15"
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}

LOSSLESS_ALPHA = ("alpha.mov", "alpha.mkv", "alpha_png")
VIDEO_OUTPUTS = ("matte.mkv", "matte.mov", "alpha.mov", "alpha.webm", "alpha.mkv", "composite.mp4", "composite.mov",
                 "composite.mkv")


def vos(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hosts.ffmpeg.cli", *args], capture_output=True, text=True, env=ENV,
                          check=False, **kwargs)


def ffmpeg_run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([find_ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", *args], capture_output=True,
                          check=False)


def decode(path: Path, pix_fmt: str = "gray", vf: str | None = None) -> np.ndarray:
    """All frames of ``path`` as N×H×W (gray) or N×H×W×3 (rgb24) uint8."""
    pre = ["-c:v", "libvpx-vp9"] if path.suffix == ".webm" else []  # the native vp9 decoder drops alpha
    out = ffmpeg_run(*pre, "-i", str(path), *(["-vf", vf] if vf else []), "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", pix_fmt, "-")
    assert out.returncode == 0, out.stderr
    channels = 3 if pix_fmt == "rgb24" else 1
    return np.frombuffer(out.stdout, np.uint8).reshape(-1, H, W, channels).squeeze(-1 if channels == 1 else None)


def read_folder(folder: Path) -> np.ndarray:
    return np.stack([cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in sorted(folder.glob("*.png"))])


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ffmpeg_host")


@pytest.fixture(scope="module")
def clip(work, davis_root) -> Path:
    """12 DAVIS frames (every 3rd) at 426×240, H.264 at 30000/1001 fps, with a mono AAC track."""
    path = work / "clip.mp4"
    frames = davis_root / "JPEGImages/480p" / SEQ
    out = ffmpeg_run(
        "-framerate", str(RATE), "-pattern_type", "glob", "-i", str(frames / "*.jpg"),
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-vf", f"select=not(mod(n\\,{STRIDE})),setpts=N/FRAME_RATE/TB,scale={W}:{H},setsar=1",
        "-frames:v", str(FRAMES), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path),
    )
    assert out.returncode == 0, out.stderr
    return path


@pytest.fixture(scope="module")
def first_mask(davis_root) -> Path:
    return davis_root / "Annotations/480p" / SEQ / "00000.png"  # 854×480: the runs use --resize-mask


@pytest.fixture(scope="module")
def ground_truth(davis_root) -> np.ndarray:
    masks = davis_root / "Annotations/480p" / SEQ
    return np.stack([resize_mask(read_mask(masks / f"{i * STRIDE:05d}.png"), W, H) for i in range(FRAMES)])


@pytest.fixture(scope="module")
def model_args(parent_weights) -> list[str]:
    return ["--weights", str(parent_weights), "--iters", ITERS]


@pytest.fixture(scope="module")
def segmented(work, clip, first_mask, model_args):
    """One `segment` run writing every format; returns (output folder, completed process)."""
    out = work / "out"
    outputs = [
        "-o", out / "matte.mkv", "-o", out / "matte.mov", "-o", out / "matte_png",
        "--alpha", out / "alpha.mov", "--alpha", out / "alpha.webm", "--alpha", out / "alpha.mkv",
        "--alpha", out / "alpha_png", "--composite", out / "composite.mp4", "--composite", out / "composite.mov",
        "--composite", out / "composite.mkv", "--composite", out / "composite_png",
    ]
    run = vos("--progress", "json", "segment", str(clip), "--mask", str(first_mask), "--resize-mask",
              "--background", "green", *map(str, outputs), *model_args)
    assert run.returncode == 0, run.stderr
    return out, run


@pytest.fixture(scope="module")
def mattes(segmented) -> np.ndarray:
    return decode(segmented[0] / "matte.mkv")


def test_probe_reads_exact_rate_count_and_size(clip):
    info = probe(open_input(str(clip)))
    assert (info.width, info.height, info.frames, info.rate) == (W, H, FRAMES, RATE)


@pytest.mark.parametrize("duration, printed, rate", [
    (Fraction(1001, 30000), "29.97", Fraction(30000, 1001)),  # fine time base: measured exactly
    (Fraction(33, 1000), "29.97", Fraction(30000, 1001)),  # Matroska milliseconds: the printed NTSC rate
    (Fraction(33, 1000), "30", Fraction(30)),
    (Fraction(42, 1000), "23.98", Fraction(24000, 1001)),
    (Fraction(1, 1000), "1k", Fraction(1000)),
    (Fraction(0), None, Fraction(25)),
])
def test_exact_rate(duration, printed, rate):
    assert exact_rate(duration, printed) == rate


def test_help_does_not_import_the_core():
    code = "import sys, hosts.ffmpeg.cli as c; c.build_parser(); print('torch' in sys.modules, 'vos_core' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False", "False"]


def test_info_prints_what_pipe_users_need(clip):
    run = vos("info", "--json", str(clip))
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"width": W, "height": H, "rate": "30000/1001", "frames": FRAMES,
                                      "time_base": "1/30000", "rotation": 0}


def test_every_kind_and_suffix_has_one_format():
    keys = [(f.kind, f.suffix) for f in FORMATS]
    assert len(keys) == len(set(keys))
    assert resolve("alpha", "x.WEBM").muxer == "webm" and resolve("matte", "out/folder").is_sequence


def test_unknown_format_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown output format '.avi'"):
        resolve("matte", "x.avi")


@pytest.mark.slow
def test_segment_reports_json_progress(segmented):
    events = [json.loads(line) for line in segmented[1].stderr.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "done"
    assert {e["stage"] for e in events if e["event"] == "progress"} == {"finetune", "segment"}
    last = [e for e in events if e["event"] == "progress"][-1]
    assert (last["done"], last["total"]) == (FRAMES, FRAMES)
    assert events[-1]["frames"] == FRAMES and len(events[-1]["outputs"]) == 11
    assert not list(segmented[0].glob(".*")), "temporary files left behind"


@pytest.mark.slow
@pytest.mark.parametrize("name", VIDEO_OUTPUTS)
def test_video_outputs_keep_frame_count_size_rate_and_audio(segmented, name):
    path = segmented[0] / name
    info = probe(open_input(str(path)))
    assert (info.width, info.height, info.frames, info.rate) == (W, H, FRAMES, RATE)
    if path.suffix in (".mov", ".mp4"):  # Matroska always counts in milliseconds
        assert info.time_base == probe(open_input(str(path.parent.parent / "clip.mp4"))).time_base
    listing = subprocess.run([find_ffmpeg(), "-hide_banner", "-i", str(path)], capture_output=True, text=True,
                             check=False).stderr
    assert "Audio:" in listing
    assert len(decode(path)) == FRAMES


@pytest.mark.slow
@pytest.mark.parametrize("name, channels", [("matte_png", 1), ("alpha_png", 4), ("composite_png", 3)])
def test_png_sequences_have_one_file_per_frame(segmented, name, channels):
    folder = segmented[0] / name
    assert sorted(p.name for p in folder.iterdir()) == [MARKER, *(f"{i:05d}.png" for i in range(FRAMES))]
    frames = read_folder(folder)
    assert frames.dtype == np.uint8 and frames.shape[1:3] == (H, W)
    assert (frames.shape[3] if frames.ndim == 4 else 1) == channels


@pytest.mark.slow
def test_mattes_are_binary_and_keep_the_editors_mask(mattes, ground_truth):
    assert mattes.shape == (FRAMES, H, W)
    assert set(np.unique(mattes)) <= {0, 255}
    np.testing.assert_array_equal(mattes[0], ground_truth[0])


@pytest.mark.slow
def test_png_matte_sequence_equals_the_ffv1_matte(segmented, mattes):
    np.testing.assert_array_equal(read_folder(segmented[0] / "matte_png"), mattes)


@pytest.mark.slow
@pytest.mark.parametrize("name", LOSSLESS_ALPHA)
def test_alpha_round_trips_exactly_for_lossless_formats(segmented, mattes, name):
    path = segmented[0] / name
    alpha = read_folder(path)[..., 3] if path.is_dir() else decode(path, vf="format=rgba,alphaextract")
    np.testing.assert_array_equal(alpha, mattes)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["alpha.webm", "matte.mov"])
def test_lossy_outputs_stay_close_to_the_matte(segmented, mattes, name):
    path = segmented[0] / name
    decoded = decode(path, vf="alphaextract" if name.startswith("alpha") else None)
    scores = [jaccard(d >= 128, m > 0) for d, m in zip(decoded, mattes)]
    assert min(scores) > 0.97, scores


@pytest.mark.slow
def test_matte_overlaps_ground_truth_well_above_copying_the_first_mask(mattes, ground_truth):
    ours = np.mean([jaccard(m > 0, g > 0) for m, g in zip(mattes[1:], ground_truth[1:])])
    copied = np.mean([jaccard(ground_truth[0] > 0, g > 0) for g in ground_truth[1:]])
    assert ours > 0.75 and ours > copied + 0.15, (ours, copied)


@pytest.mark.slow
def test_composite_shows_the_object_over_green(segmented, mattes, clip):
    composite = decode(segmented[0] / "composite.mp4", "rgb24").astype(int)
    original = decode(clip, "rgb24").astype(int)
    inside = cv2.erode(mattes[5], np.ones((7, 7), np.uint8)) > 0
    outside = cv2.dilate(mattes[5], np.ones((7, 7), np.uint8)) == 0
    assert np.abs(composite[5][inside] - original[5][inside]).mean() < 8
    r, g, b = composite[5][outside].mean(axis=0)
    assert g > 100 and r < 30 and b < 30, (r, g, b)  # ffmpeg's "green" is #008000


@pytest.mark.slow
def test_pipe_mode_gives_the_same_mattes_as_segment_mode(work, clip, first_mask, model_args, mattes):
    """decode ffmpeg | vos-matte pipe | encode ffmpeg, as the README shows it."""
    out = work / "piped.mkv"
    ffmpeg = [find_ffmpeg(), "-hide_banner", "-nostdin", "-v", "error"]
    decoder = subprocess.Popen([*ffmpeg, "-i", str(clip), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                               stdout=subprocess.PIPE)
    matter = subprocess.Popen(
        [sys.executable, "-m", "hosts.ffmpeg.cli", "--quiet", "pipe", "--size", f"{W}x{H}", "--mask", str(first_mask),
         "--resize-mask", *model_args], stdin=decoder.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV,
    )
    decoder.stdout.close()
    encoder = subprocess.run([*ffmpeg, "-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{W}x{H}", "-framerate", str(RATE),
                              "-i", "-", "-c:v", "ffv1", "-y", str(out)], stdin=matter.stdout, capture_output=True,
                             check=False)
    matter.stdout.close()
    assert matter.wait() == 0, matter.stderr.read()
    assert decoder.wait() == 0 and encoder.returncode == 0, encoder.stderr
    np.testing.assert_array_equal(decode(out), mattes)


@pytest.mark.slow
def test_batch_continues_past_a_failed_clip(work, davis_root, clip, first_mask, parent_weights):
    frames = work / "frames"  # an image-folder input: 3 full-size DAVIS frames
    frames.mkdir()
    for i in range(3):
        (frames / f"{i:05d}.jpg").write_bytes((davis_root / "JPEGImages/480p" / SEQ / f"{i:05d}.jpg").read_bytes())
    jobs = work / "jobs.csv"
    jobs.write_text(
        "input,mask,matte,alpha,composite,background,fps,iters\n"
        f"{work / 'missing.mp4'},{first_mask},{work / 'b1.mkv'},,,,,\n"
        f"{frames},{first_mask},{work / 'b2.mkv'},{work / 'b2.mov'},{work / 'b2c.mkv'},{clip},24,2\n"
    )
    run = vos("batch", str(jobs), "--weights", str(parent_weights), "--iters", "50")
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("FAILED") and "input not found" in lines[0]
    assert lines[1].startswith("ok") and "3 frames" in lines[1]
    assert lines[2] == "1 of 2 clips done"
    assert not (work / "b1.mkv").exists()
    for name in ("b2.mkv", "b2.mov", "b2c.mkv"):  # b2c: composited over the test clip, rescaled and retimed
        info = probe(open_input(str(work / name)))
        assert (info.width, info.height, info.frames, info.rate) == (854, 480, 3, 24)


@pytest.mark.slow
@pytest.mark.parametrize("sig, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_stops_cleanly_and_leaves_no_output(work, clip, first_mask, parent_weights, sig, status):
    out = work / f"cancel_{status}"
    out.mkdir()
    (out / "old.mkv").write_bytes(b"previous result")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hosts.ffmpeg.cli", "--progress", "json", "segment", str(clip), "--mask",
         str(first_mask), "--resize-mask", "-o", str(out / "old.mkv"), "--alpha", str(out / "new.mov"),
         "--weights", str(parent_weights), "--iters", "500"],
        stderr=subprocess.PIPE, text=True, env=ENV,
    )
    for line in proc.stderr:  # wait until fine-tuning is under way
        if json.loads(line)["event"] == "progress":
            break
    proc.send_signal(sig)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == status, rest
    assert '{"event":"cancelled"}' in rest and "Traceback" not in rest
    assert sorted(p.name for p in out.iterdir()) == ["old.mkv"]
    assert (out / "old.mkv").read_bytes() == b"previous result"


@pytest.fixture(scope="module")
def bad_inputs(work, clip) -> dict[str, Path]:
    paths = {"text": work / "notes.txt", "zero": work / "zero.mkv", "audio": work / "tone.m4a",
             "empty": work / "empty.png", "full": work / "full.png", "file": work / "a_file"}
    paths["text"].write_text("not a video\n")
    paths["file"].write_text("")
    assert ffmpeg_run("-f", "lavfi", "-i", "color=s=64x64", "-frames:v", "0", "-c:v", "ffv1", str(paths["zero"]),
                      ).returncode == 0
    assert ffmpeg_run("-f", "lavfi", "-i", "sine", "-t", "0.5", str(paths["audio"])).returncode == 0
    cv2.imwrite(str(paths["empty"]), np.zeros((H, W), np.uint8))
    cv2.imwrite(str(paths["full"]), np.full((H, W), 255, np.uint8))
    return paths


BAD = {  # case: (input, mask, output, extra args, exit status, message)
    "missing input": ("missing.mp4", "gt", "o.mkv", [], 1, "input not found"),
    "not a video": ("text", "gt", "o.mkv", [], 1, "is not a video ffmpeg can read"),
    "zero frames": ("zero", "gt", "o.mkv", [], 1, "has no video frames"),
    "no video stream": ("audio", "gt", "o.mkv", [], 1, "has no video stream"),
    "empty mask": ("clip", "empty", "o.mkv", [], 1, "is empty"),
    "full mask": ("clip", "full", "o.mkv", [], 1, "covers the whole frame"),
    "mask size": ("clip", "gt", "o.mkv", ["--no-resize"], 1, "but the video is 426×240; pass --resize-mask"),
    "mask frame": ("clip", "gt", "o.mkv", ["--mask-frame", "99"], 1, "is for frame 99, but"),
    "unwritable output": ("clip", "gt", "a_file/o.mkv", [], 1, "cannot write"),
    "unknown format": ("clip", "gt", "o.avi", [], 2, "unknown output format '.avi'"),
    "bad background": ("clip", "gt", "o.mkv", ["--composite", "c.mkv", "--background", "nocolour"], 2,
                       "'nocolour' is neither a file nor a colour"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_gives_one_line_error(case, work, clip, first_mask, bad_inputs, capsys, restore_signals):
    source, mask, output, extra, status, message = BAD[case]
    source = clip if source == "clip" else bad_inputs.get(source, work / source)
    mask = first_mask if mask == "gt" else bad_inputs[mask]
    resize = [] if "--no-resize" in extra else ["--resize-mask"]
    extra = [a for a in extra if a != "--no-resize"]
    # In-process (the checks come before any model is loaded): the same main() the command runs.
    code = main(["segment", str(source), "--mask", str(mask), "-o", str(work / output), *resize, *extra])
    stderr = capsys.readouterr().err
    assert code == status, stderr
    assert stderr.startswith("vos-matte: error: ") and stderr.count("\n") == 1, stderr
    assert message in stderr


def test_pipe_refuses_a_truncated_frame(first_mask):
    run = vos("pipe", "--size", f"{W}x{H}", "--mask", str(first_mask), "--resize-mask", input="x" * 100)
    assert run.returncode == 1
    assert run.stderr == f"vos-matte: error: stdin ended inside a frame (100 of {W * H * 3} bytes): is --size {W}x{H} right?\n"


def test_unusable_ffmpeg_override_is_reported(clip, first_mask, work):
    run = subprocess.run([sys.executable, "-m", "hosts.ffmpeg.cli", "segment", str(clip), "--mask", str(first_mask),
                          "-o", str(work / "x.mkv")], capture_output=True, text=True, check=False,
                         env={**ENV, "VOS_FFMPEG": "/nonexistent/ffmpeg"})
    assert run.returncode == 1 and "VOS_FFMPEG=/nonexistent/ffmpeg is not an executable" in run.stderr
