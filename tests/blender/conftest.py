"""Fixtures for tests in real Blender: PyPI's bpy, one venv per release in releases.py (setup_bpy_venvs.py).

pytest runs in the main venv (numpy, OpenCV, the core); Blender runs as subprocesses of a bpy venv's
python executing scripts/*.py, which print ``RESULT {json}``. Expensive steps are session fixtures.
``blender`` runs a test on every release; ``newest_blender`` only on the newest (the heavy runs that
exercise the worker, not Blender's API).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import pytest
from blender_support import (
    CLIP,
    DAVIS,
    FPS,
    FRAMES,
    GREY0,
    GREY_SIZE,
    GREY_STEP,
    MATTE0,
    SIZE,
    bpy_python,
    mask_outline,
)
from releases import NEWEST, RELEASES, ROOT
from shared_data import require_davis


@pytest.fixture(scope="session", params=RELEASES, ids=lambda r: f"blender-{r.short}")
def blender(request) -> Path:
    """The python of each tested release's bpy venv, in turn."""
    return bpy_python(request.param)


@pytest.fixture(scope="session")
def newest_blender() -> Path:
    return bpy_python(NEWEST)


@pytest.fixture(scope="session")
def extension_zip(tmp_path_factory) -> Path:
    """The extension zip as installers/blender.py builds (and validates) it; no runtime."""
    bpy_python(NEWEST)  # Blender's extension tool comes with bpy
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run([sys.executable, str(ROOT / "installers" / "blender.py"), "--no-runtime", "--out", str(out)],
                           check=False, capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    (zip_path,) = out.glob("vos_matte-*.zip")
    return zip_path


@pytest.fixture(scope="session")
def davis_clip(tmp_path_factory) -> dict:
    """The first FRAMES frames of a DAVIS-2016 clip as a small H.264 movie, its ground truth, and a mask outline."""
    require_davis(DAVIS.parent)  # skipped naming the fetch command (failed under CI=true) when absent
    import imageio_ffmpeg

    folder = tmp_path_factory.mktemp("clip")
    movie = folder / f"{CLIP}.mp4"
    subprocess.run([
        imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-framerate", str(FPS),
        "-i", str(DAVIS / "JPEGImages" / "480p" / CLIP / "%05d.jpg"), "-frames:v", str(FRAMES),
        "-vf", f"scale={SIZE[0]}:{SIZE[1]}", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "1", str(movie),
    ], check=True)
    truth = [
        cv2.resize(cv2.imread(str(DAVIS / "Annotations" / "480p" / CLIP / f"{i:05d}.png"), cv2.IMREAD_GRAYSCALE),
                   SIZE, interpolation=cv2.INTER_AREA) > 127
        for i in range(FRAMES)
    ]
    return {"movie": movie, "truth": truth, "contour": mask_outline(DAVIS / "Annotations" / "480p" / CLIP / "00000.png")}



@pytest.fixture(scope="session")
def grey_clip(tmp_path_factory) -> dict:
    """FRAMES uniform-grey frames as a PNG folder and as an H.264 movie, and a matching matte folder."""
    import imageio_ffmpeg
    import numpy as np

    root = tmp_path_factory.mktemp("grey")
    frames, mattes = root / "frames", root / "mattes"
    frames.mkdir()
    mattes.mkdir()
    width, height = GREY_SIZE
    for i in range(FRAMES):
        cv2.imwrite(str(frames / f"{i:03d}.png"), np.full((height, width, 3), GREY0 + GREY_STEP * i, np.uint8))
        cv2.imwrite(str(mattes / f"{i:05d}.png"), np.full((height, width), MATTE0 + GREY_STEP * i, np.uint8))
    movie = root / "grey.mp4"
    subprocess.run([
        imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-framerate", str(FPS), "-i", str(frames / "%03d.png"),
        "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p", "-g", "1", str(movie),
    ], check=True)
    return {"frames": frames, "mattes": mattes, "movie": movie, "size": GREY_SIZE}
