"""Shared by the Blender tests: where things are, running bpy scripts, the DAVIS mask outline.

(A module of its own, not conftest.py: tests/conftest.py already owns the module name ``conftest``.)
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from releases import ROOT, Release
from shared_data import shared_dir

SCRIPTS = Path(__file__).with_name("scripts")
DAVIS = shared_dir() / "davis2016"  # VOS_SHARED_DIR, ../shared or the fetcher's cache (tests/shared_data.py)
WEIGHTS = ROOT / "vos_core" / "weights"  # the bundled parent: every clone has it
CLIP = "blackswan"
FRAMES = 10
SIZE = (214, 120)  # 854×480 / 4, even sides for H.264
FPS = 25
#: Frame i of the grey clip is a uniform grey GREY0 + GREY_STEP·i and matte k the value MATTE0 + GREY_STEP·k,
#: so a render names the source frame (and matte) it shows; steps of 24 survive H.264.
GREY0, MATTE0, GREY_STEP, GREY_SIZE = 12, 20, 24, (40, 24)


def bpy_python(release: Release) -> Path:
    """The python of ``release``'s bpy venv; skips the test if the venv is missing (CI's set-up fails first)."""
    if not release.python_exe.exists():
        pytest.skip(f"no bpy {release.bpy} venv at {release.venv}: run tests/blender/setup_bpy_venvs.py")
    return release.python_exe


def run_bpy(python: Path, script: str, *args: str, home: Path, timeout: int = 300) -> dict:
    """Run scripts/SCRIPT with a bpy python and a private Blender user folder; return its RESULT."""
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(home), "VOS_WEIGHTS_DIR": str(WEIGHTS)}
    proc = subprocess.run([str(python), str(SCRIPTS / script), *args], check=False, capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=SCRIPTS)
    results = [line[len("RESULT "):] for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and results, f"{script} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return json.loads(results[-1])


def mask_outline(path: Path) -> list[tuple[float, float]]:
    """The largest outline of a ground-truth mask as Mask-datablock coordinates for a SIZE frame.

    Blender normalises mask points to the longer frame side, centred (see docs/hosts-notes.md):
    x = (u - 0.5)·s + W/2 and y = H - ((v - 0.5)·s + H/2) in top-left pixels, s = max(W, H).
    """
    gt = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    contours, _ = cv2.findContours((gt > 127).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = cv2.approxPolyDP(max(contours, key=cv2.contourArea), 1.0, True)[:, 0, :].astype(float)
    width, height = SIZE
    scale = width / gt.shape[1]
    side = max(width, height)
    # +0.5: a contour lists pixel indices; their centres lie half a pixel in, in continuous coordinates
    x, y = (outline[:, 0] + 0.5) * scale, (outline[:, 1] + 0.5) * scale
    return [((xi - width / 2) / side + 0.5, (height - yi - height / 2) / side + 0.5) for xi, yi in zip(x, y)]


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))
