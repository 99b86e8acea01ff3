"""Fixtures for tests in real Blender: PyPI's bpy in .venv-bpy-4.5 / .venv-bpy-5.0 (tests/blender/setup_bpy_venvs.sh).

pytest runs in the main venv (numpy, OpenCV, the core); Blender runs as subprocesses of a bpy venv's
python executing scripts/*.py, which print ``RESULT {json}``. Expensive steps are session fixtures.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import pytest
from blender_support import BLENDER_VERSIONS, CLIP, DAVIS, FPS, FRAMES, ROOT, SIZE, bpy_python, mask_outline


@pytest.fixture(scope="session", params=BLENDER_VERSIONS, ids=lambda v: f"blender-{v}")
def blender(request) -> Path:
    python = bpy_python(request.param)
    if not python.exists():
        pytest.skip(f"no bpy {request.param} venv at {python.parent.parent}: run tests/blender/setup_bpy_venvs.sh")
    return python


@pytest.fixture(scope="session")
def extension_zip(tmp_path_factory) -> Path:
    """The extension zip as installers/blender.py builds (and validates) it; no runtime."""
    if not any(bpy_python(v).exists() for v in BLENDER_VERSIONS):
        pytest.skip("no bpy venv: Blender's extension tool comes with bpy (run tests/blender/setup_bpy_venvs.sh)")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, str(ROOT / "installers" / "blender.py"), "--no-runtime", "--out", str(out)],
                   check=True, capture_output=True)
    (zip_path,) = out.glob("vos_matte-*.zip")
    return zip_path


@pytest.fixture(scope="session")
def davis_clip(tmp_path_factory) -> dict:
    """The first FRAMES frames of a DAVIS-2016 clip as a small H.264 movie, its ground truth, and a mask outline."""
    if not (DAVIS / "JPEGImages" / "480p" / CLIP).is_dir():
        pytest.skip(f"DAVIS-2016 not found under {DAVIS}")
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
