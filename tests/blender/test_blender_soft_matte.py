"""Soft mattes reach Blender's render: a grey ramp matte (8-bit PNGs, as jobs write them) becomes the
rendered alpha level for level, on every tested release.

16-bit PNGs are not used for Blender: measured here, 5.2 and 5.3 linearise them as sRGB (0.5 renders
as 0.21) unless the strip is Non-Color, which in turn bends them on 4.2 and 4.5.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from blender_support import FPS, FRAMES, run_bpy

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
