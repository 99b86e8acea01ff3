"""The seed's app features in real Blender: matte-driven effects, reframing keyed on the strip, scribbles.

Blender renders; the checks compare its pictures with the source's own renders and the ground truth.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from blender_support import FPS, SIZE, iou, run_bpy

from vos_core.app.scribbles import synthetic_strokes

pytestmark = pytest.mark.slow


def _to_mask_points(contour: np.ndarray) -> list[tuple[float, float]]:
    """Pixel contour (top-left origin) → Mask-datablock points (longer side = 1, centred; y up)."""
    width, height = SIZE
    side = max(SIZE)
    return [((x + 0.5 - width / 2) / side + 0.5, (height - (y + 0.5) - height / 2) / side + 0.5) for x, y in contour]


def _stroke_polygons(strokes: np.ndarray) -> list[list[tuple[float, float]]]:
    contours, _ = cv2.findContours((strokes > 0).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return [_to_mask_points(c[:, 0, :]) for c in contours if len(c) >= 3]


@pytest.fixture(scope="session")
def features(blender, extension_zip, davis_clip, tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp(f"features-{blender.parent.parent.name}")
    mattes = work / "mattes"
    mattes.mkdir()
    for i, truth in enumerate(davis_clip["truth"]):
        cv2.imwrite(str(mattes / f"{i:05d}.png"), np.where(truth, 255, 0).astype(np.uint8))
    fg, bg = synthetic_strokes(davis_clip["truth"][0], width=3)
    spec = {"zip": str(extension_zip), "movie": str(davis_clip["movie"]), "mattes": str(mattes),
            "runtime": sys.prefix, "size": list(SIZE), "fps": FPS, "workdir": str(work),
            "strokes": {"foreground": _stroke_polygons(fg), "background": _stroke_polygons(bg)}}
    (work / "spec.json").write_text(json.dumps(spec))
    return run_bpy(blender, "bpy_app_features.py", str(work / "spec.json"), home=work / "blender-user")


def _rgb(png: str) -> np.ndarray:
    return cv2.imread(png, cv2.IMREAD_COLOR)[..., ::-1].astype(float)


def _regions(truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Well inside the object and well outside it (3 px from the edge at this small size)."""
    kernel = np.ones((7, 7), np.uint8)
    t = truth.astype(np.uint8)
    return cv2.erode(t, kernel) > 0, cv2.dilate(t, kernel) == 0


def test_effects_change_the_background_and_leave_the_object(features, davis_clip):
    sample = 3
    plain = _rgb(features["plain"][str(features["first"] + sample)])
    inside, outside = _regions(davis_clip["truth"][sample])
    for kind, png in features["effects"].items():
        out = _rgb(png)
        assert np.abs(out - plain)[inside].mean() < 3, f"{kind} changed the object"
        if kind == "POP":
            spread = out.max(axis=2) - out.min(axis=2)
            assert spread[outside].mean() < 3 < (plain.max(axis=2) - plain.min(axis=2))[outside].mean()
        elif kind == "HIGHLIGHT":
            assert out[outside].mean() < 0.5 * plain[outside].mean()
        else:
            detail = lambda image: np.abs(np.diff(image, axis=1)).mean(axis=2)[outside[:, 1:]].mean()
            assert detail(out) < 0.6 * detail(plain)
    assert features["blur_strips"] == 2  # the blur and the copy it blurs


def test_the_buttons_have_their_sub_panel(features):
    assert features["panel"]


def test_no_effect_restores_the_cutout(features):
    assert features["restored"] == {"cutout_on": True, "inverted": False, "effect_left": False, "blur_left": False}


def test_reframe_keys_the_strip_so_each_render_is_the_crop_window(features):
    path = json.loads(Path(features["path"]).read_text())
    assert features["resolution"] == path["crop"] and path["crop"][0] < path["crop"][1]  # 9:16, portrait
    for row in path["frames"]:
        timeline = str(features["first"] + row["frame"])
        plain, out = _rgb(features["plain"][timeline]), _rgb(features["reframed"][timeline])
        crop = plain[row["y"]:row["y"] + row["h"], row["x"]:row["x"] + row["w"]]
        assert out.shape == crop.shape
        error = np.abs(out - crop).mean()
        shifted = np.abs(out - np.roll(crop, 4, axis=1)).mean()
        assert error < 2 and error < 0.5 * shifted, (timeline, error, shifted)


def test_scribble_layers_give_a_mask_close_to_the_object(features, davis_clip):
    assert features["scribble"]["source"] == "FILE"
    mask = cv2.imread(features["scribble"]["file"], cv2.IMREAD_GRAYSCALE) > 127
    assert iou(mask, davis_clip["truth"][0]) > 0.7
