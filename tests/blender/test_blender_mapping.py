"""Timeline ↔ source frames and applying a matte, on every tested Blender release.

Expected frames come from what each release renders (Blender 5.2 changed what a hard trim does to the
timeline), never from numbers written here; only the order of source frames a trim leaves is fixed.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from blender_support import FPS, FRAMES, GREY0, GREY_STEP, MATTE0, run_bpy

pytestmark = pytest.mark.slow


def _index(value: float, offset: int) -> int:
    """The frame index a uniform grey (or matte) value stands for."""
    return round((value - offset) / GREY_STEP)


def _rendered(png: str) -> tuple[int, int]:
    """(source frame, matte frame) a render shows: from its mean grey and its mean alpha."""
    image = cv2.imread(png, cv2.IMREAD_UNCHANGED)
    assert image is not None and image.shape[2] == 4, png
    return _index(image[..., :3].mean(), GREY0), _index(image[..., 3].mean(), MATTE0)


@pytest.fixture(scope="session")
def mapping(blender, extension_zip, grey_clip, tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp(f"mapping-{blender.parent.parent.name}")
    spec = {"zip": str(extension_zip), "workdir": str(work), "fps": FPS, "size": list(grey_clip["size"]),
            **{key: str(grey_clip[key]) for key in ("frames", "movie", "mattes")}}
    (work / "spec.json").write_text(json.dumps(spec))
    return run_bpy(blender, "bpy_mapping.py", str(work / "spec.json"), home=work / "blender-user")


@pytest.mark.parametrize("kind", ["movie", "image"])
@pytest.mark.parametrize("trim", ["plain", "trimmed"])
def test_source_frames_and_mattes_follow_what_blender_shows(mapping, kind, trim):
    seen = mapping["results"][kind][trim]
    mapped = {int(t): source for t, source in seen["mapping"].items()}
    shown = {int(t): _rendered(png)[0] for t, png in seen["source"].items()}
    matte = {int(t): _rendered(png)[1] for t, png in seen["matted"].items()}
    assert mapped == shown, "the add-on's source frame differs from what Blender renders"
    assert matte == shown, "the applied matte is not the source frame's matte"
    assert seen["outside"] == [None, None]
    # hard trims 2 + 1, soft trims 1 + 1 of a 10-frame clip leave source frames 3..7, in order
    expected = list(range(FRAMES)) if trim == "plain" else list(range(3, FRAMES - 2))
    assert [shown[t] for t in sorted(shown)] == expected


def test_rendered_alpha_is_the_matte_exactly(mapping):
    for png in mapping["results"]["movie"]["trimmed"]["matted"].values():
        alpha = cv2.imread(png, cv2.IMREAD_UNCHANGED)[..., 3]
        assert np.ptp(alpha) == 0 and (int(alpha[0, 0]) - MATTE0) % GREY_STEP == 0, png


def test_applying_again_replaces_the_matte(mapping):
    assert mapping["results"]["movie"]["mattes"] == mapping["results"]["image"]["mattes"] == 1


def test_image_sequence_strip_reads_its_whole_folder(mapping, grey_clip):
    assert mapping["path"] == str(grey_clip["frames"]) and mapping["size"] == list(grey_clip["size"])
    assert "must use all images" in mapping["partial_refused"]


def test_disabling_the_addon_unregisters_everything(mapping):
    assert mapping["unregistered"]
