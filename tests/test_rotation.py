"""Phone clips: a display rotation in the container is followed everywhere, as players follow it.

The clip is coded 64×48 (lossless H.264 4:4:4 in MP4) with a 90° display rotation, so it shows
48×64; the editor draws the mask on what they see. No fine-tuning (``--iters 0``).
"""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest

from vos_core import read_mask
from vos_core.media.ffmpeg_input import decode, display_rotation, open_input, probe
from vos_core.media.ffmpeg_process import find_ffmpeg

CODED_W, CODED_H, FRAMES = 64, 48, 4


def ffmpeg(*args: str) -> subprocess.CompletedProcess:
    run = subprocess.run([find_ffmpeg(), "-hide_banner", "-nostdin", "-v", "error", "-y", *args], capture_output=True,
                         check=False)
    assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """The same coded frames twice: ``plain.mp4`` without and ``phone.mp4`` with a 90° display rotation."""
    root = tmp_path_factory.mktemp("rotation")
    lossless = ["-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv444p"]
    ffmpeg("-f", "lavfi", "-i", f"testsrc=s={CODED_W}x{CODED_H}:r=25", "-frames:v", str(FRAMES), *lossless,
           str(root / "plain.mp4"))
    ffmpeg("-display_rotation", "90", "-i", str(root / "plain.mp4"), "-c", "copy", str(root / "phone.mp4"))
    return root


def frames_of(path) -> list[np.ndarray]:
    media = open_input(str(path))
    return list(decode(media, probe(media)))


@pytest.mark.parametrize("printed, angle", [
    ("    Side data:\n      Display Matrix: rotation of 90.00 degrees", 90),  # ffmpeg ≥ 7.1
    ("    Side data:\n      displaymatrix: rotation of -90.00 degrees", 270),  # ffmpeg 5.1 (Debian 12)
    ("Stream #0:0: Video: h264", 0),
])
def test_display_rotation_is_read_from_the_listing(printed, angle):
    assert display_rotation(printed) == angle


def test_probe_and_decode_give_the_displayed_frame(clips):
    info = probe(open_input(str(clips / "phone.mp4")))
    assert (info.width, info.height, info.rotation, info.frames) == (CODED_H, CODED_W, 90, FRAMES)
    coded, shown = frames_of(clips / "plain.mp4"), frames_of(clips / "phone.mp4")
    assert shown[0].shape == (CODED_W, CODED_H, 3)
    for c, s in zip(coded, shown):  # a 90° display rotation is counter-clockwise
        np.testing.assert_array_equal(s, np.rot90(c, 1))


def test_mask_drawn_on_the_displayed_frame_gives_upright_outputs(clips, tmp_path):
    mask = np.zeros((CODED_W, CODED_H), np.uint8)  # 64 high, 48 wide: as shown
    mask[8:40, 4:30] = 255
    cv2.imwrite(str(tmp_path / "mask.png"), mask)
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "hosts.ffmpeg.cli", "--quiet", "segment", str(clips / "phone.mp4"), "--mask",
         str(tmp_path / "mask.png"), "-o", str(out / "matte"), "--alpha", str(out / "alpha.mov"), "--composite",
         str(out / "over.mp4"), "--iters", "0", "--detector", "none"],
        capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stderr
    np.testing.assert_array_equal(read_mask(out / "matte" / "00000.png"), mask)
    shown = frames_of(clips / "phone.mp4")
    for name in ("alpha.mov", "over.mp4"):
        info = probe(open_input(str(out / name)))
        assert (info.width, info.height, info.rotation) == (CODED_H, CODED_W, 0)  # upright, not rotated twice
    alpha = np.frombuffer(ffmpeg("-i", str(out / "alpha.mov"), "-vf", "format=rgba", "-f", "rawvideo", "-pix_fmt",
                                 "rgba", "-").stdout, np.uint8).reshape(FRAMES, CODED_W, CODED_H, 4)
    np.testing.assert_array_equal(alpha[0, ..., 3], mask)
    inside = mask > 0
    assert np.abs(alpha[0, ..., :3][inside].astype(int) - shown[0][inside]).mean() < 4  # the picture is upright too
