"""Soft mattes reach Blender's render: a grey ramp matte (8-bit PNGs, as jobs write them) becomes the
rendered alpha level for level, on every tested release.

16-bit PNGs are not used for Blender: measured here, 5.2 and 5.3 linearise them as sRGB (0.5 renders
as 0.21) unless the strip is Non-Color, which in turn bends them on 4.2 and 4.5.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from blender_support import CLIP, DAVIS, FPS, FRAMES, SIZE, WEIGHTS, run_bpy

from plugin.outputs import PngSequenceWriter

pytestmark = pytest.mark.slow


def test_rendered_alpha_is_the_soft_matte(blender, extension_zip, grey_clip, tmp_path):
    width, height = grey_clip["size"]
    ramp = np.tile(np.linspace(0.0, 1.0, width, dtype=np.float32), (height, 1))  # soft alpha, 0 to 1
    with PngSequenceWriter(tmp_path / "mattes") as writer:
        for i in range(FRAMES):
            writer.write(i, ramp)
    spec = {"zip": str(extension_zip), "workdir": str(tmp_path), "fps": FPS, "size": [width, height],
            "movie": str(grey_clip["movie"]), "mattes": {"png8": str(writer.folder)}}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    renders = run_bpy(blender, "bpy_soft_matte.py", str(tmp_path / "spec.json"), home=tmp_path / "blender-user")["renders"]
    alpha = cv2.imread(renders["png8"], cv2.IMREAD_UNCHANGED)[..., 3] / 65535.0
    np.testing.assert_allclose(alpha, np.rint(ramp * 255) / 255, atol=0.5 / 255)


def test_panel_edge_runs_soft_then_hard(newest_blender, extension_zip, davis_clip, tmp_path):
    """Edge = Soft on the panel: the job carries the controls, the worker writes 8-bit mattes with a soft
    edge and the render's alpha is that matte; Edge = Hard: binary again."""
    spec = {"zip": str(extension_zip), "clip": str(davis_clip["movie"]), "fps": FPS, "size": list(SIZE),
            "mask_file": str(DAVIS / "Annotations" / "480p" / CLIP / "00000.png"), "runtime": sys.prefix,
            "weights": str(WEIGHTS), "workdir": str(tmp_path), "finetune_iters": 3, "feather": 2.0}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    runs = run_bpy(newest_blender, "bpy_soft_run.py", str(tmp_path / "spec.json"), home=tmp_path / "blender-user")
    assert runs["soft"]["job"]["edge"] == "soft" and runs["soft"]["job"]["refine"]["feather"] == 2.0
    assert (runs["hard"]["job"]["edge"], runs["hard"]["job"]["refine"]) == ("hard", {})
    for edge, run in runs.items():
        assert run["job"]["matte_depth"] == 8
        mattes = np.stack([cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in sorted(Path(run["matte_folder"]).glob("*.png"))])
        assert mattes.dtype == np.uint8 and len(mattes) == FRAMES
        soft = (mattes > 0) & (mattes < 255)
        assert soft.any() if edge == "soft" else not soft.any(), edge
        for frame, png in run["renders"].items():
            alpha = cv2.imread(png, cv2.IMREAD_UNCHANGED)[..., 3]
            alpha = alpha / 257.0 if alpha.dtype == np.uint16 else alpha.astype(np.float64)
            expected = mattes[run["sources"][frame]]
            assert np.abs(alpha - expected).max() <= 1, (edge, frame)
