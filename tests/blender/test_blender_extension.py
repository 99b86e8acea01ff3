"""The Blender extension end to end on a DAVIS clip, in the newest tested Blender (the runs that exercise the worker).

What depends on Blender's API (frame mapping, applying mattes) runs on every release: test_blender_mapping.py.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from blender_support import DAVIS, FPS, ROOT, SIZE, WEIGHTS, iou, run_bpy

FINETUNE_ITERS = 10
pytestmark = pytest.mark.slow


def test_zip_is_built_validated_and_carries_the_generated_files(extension_zip):
    names = set(zipfile.ZipFile(extension_zip).namelist())
    assert {"blender_manifest.toml", "__init__.py", "_plugin/client.py", "_plugin/events.py", "_plugin/jobs.py",
            "runtime/runtime_env.py"} <= names
    assert any(n.startswith("runtime/vos_matte-") and n.endswith(".whl") for n in names)
    # vendored, not forked: the shipped client is byte-identical to plugin/client.py
    shipped = zipfile.ZipFile(extension_zip).read("_plugin/client.py")
    assert shipped == (ROOT / "plugin" / "client.py").read_bytes()


def test_addon_imports_no_heavy_core():
    source = "\n".join(p.read_text() for p in (ROOT / "hosts" / "blender" / "vos_matte").glob("*.py"))
    for heavy in ("import torch", "import numpy", "import cv2", "from vos_core", "import vos_core"):
        assert heavy not in source


def test_only_the_blender_host_imports_bpy():
    """Imports point one way (vos_core <- plugin <- hosts/*): bpy stays inside hosts/blender."""
    offenders = [
        str(p.relative_to(ROOT)) for folder in ("vos_core", "plugin", "hosts") for p in (ROOT / folder).rglob("*.py")
        if "blender" not in p.relative_to(ROOT).parts and ("import bpy" in p.read_text() or "from bpy" in p.read_text())
    ]
    assert offenders == []


@pytest.fixture(scope="session")
def e2e(newest_blender, extension_zip, davis_clip, tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("e2e")
    spec = {
        "zip": str(extension_zip), "clip": str(davis_clip["movie"]), "fps": FPS, "size": list(SIZE),
        "contour": davis_clip["contour"], "runtime": sys.prefix, "weights": str(WEIGHTS), "workdir": str(work),
        "finetune_iters": FINETUNE_ITERS,
    }
    (work / "spec.json").write_text(json.dumps(spec))
    result = run_bpy(newest_blender, "bpy_e2e.py", str(work / "spec.json"), home=work / "blender-user")
    print(f"\nBlender {result['version']}: Run → matte in {result['seconds']:.1f} s "
          f"(fast preset, {FINETUNE_ITERS} fine-tuning steps, {len(davis_clip['truth'])} frames {SIZE[0]}×{SIZE[1]})")
    return result


def _grey(path: str) -> np.ndarray:
    return cv2.imread(path, cv2.IMREAD_GRAYSCALE)


def _alpha(path: str) -> np.ndarray:
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert image is not None and image.shape[2] == 4, path
    return image[..., 3]


def test_mask_datablock_is_rasterised_like_the_ground_truth(e2e, davis_clip):
    assert iou(_grey(e2e["mask_raster"]) > 127, davis_clip["truth"][0]) > 0.95


def test_rendered_alpha_is_our_matte_and_overlaps_the_ground_truth(e2e, davis_clip):
    folder = Path(e2e["matte_folder"])
    assert e2e["matte_dir"] == "//mattes/blackswan/"  # relative to the .blend by default
    assert sorted(p.name for p in folder.glob("*.png")) == [f"{i:05d}.png" for i in range(len(davis_clip["truth"]))]
    assert not list(folder.parent.glob(".*partial*"))
    for tag, invert in (("plain", False), ("trimmed", False), ("inverted", True)):
        assert e2e["renders"][tag], tag
        for frame, png in e2e["renders"][tag].items():
            source = e2e["mapping"][tag][frame]
            matte = _grey(str(folder / f"{source:05d}.png"))
            expected = 255 - matte if invert else matte
            assert np.abs(_alpha(png).astype(int) - expected).max() <= 1, (tag, frame, source)
    first = _grey(str(folder / "00000.png")) > 127
    assert iou(first, davis_clip["truth"][0]) > 0.5
    assert np.mean([iou(_grey(str(folder / f"{i:05d}.png")) > 127, t) for i, t in enumerate(davis_clip["truth"])]) > 0.3


def test_remove_leaves_the_strip_clean(e2e):
    assert e2e["removed"]


def test_runtime_check_says_what_is_missing(newest_blender, extension_zip, tmp_path):
    image = tmp_path / "frame.png"  # an image strip and its mask: a white square on black
    picture = np.zeros((48, 64), np.uint8)
    picture[12:36, 16:48] = 255
    cv2.imwrite(str(image), picture)
    result = run_bpy(newest_blender, "bpy_runtime_check.py", str(extension_zip), sys.prefix, str(image), home=tmp_path)
    reports = result["reports"]
    assert not reports["missing"]["ok"] and "There is no Python at /nonexistent/runtime" in reports["missing"]["summary"]
    assert not reports["no_core"]["ok"] and "core is not installed" in reports["no_core"]["summary"]
    assert reports["good"]["ok"], reports["good"]["summary"]
    assert "No runtime Python at" in result["run_with_missing_runtime"]
    assert result["installer_shipped"] and result["unregistered"]


def test_progress_is_shown_and_cancel_leaves_no_matte(newest_blender, extension_zip, davis_clip, tmp_path):
    spec = {
        "zip": str(extension_zip), "clip": str(davis_clip["movie"]), "runtime": sys.prefix, "weights": str(WEIGHTS),
        "mask_file": str(DAVIS / "Annotations" / "480p" / "blackswan" / "00000.png"), "workdir": str(tmp_path),
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    result = run_bpy(newest_blender, "bpy_watch_cancel.py", str(tmp_path / "spec.json"), home=tmp_path / "blender-user")
    job, events = result["job"], result["events"]
    assert [k["frame"] for k in job["objects"][0]["keyframes"]] == [0] and (job["start"], job["end"]) == (0, 9)
    assert job["resize_mask"] and job["refine_mask"] and job["settings"]["finetune_iters"] == 500
    assert events[0]["event"] == "started" and events[0]["frames"] == len(davis_clip["truth"])
    progress = [e for e in events if e["event"] == "progress"]
    assert len(progress) >= 2 and {"stage", "done", "total", "elapsed_s", "eta_s", "fps"} <= set(progress[0])
    assert progress[0]["stage"] == "finetune" and progress[0]["total"] == 500
    assert any(text.startswith("Learning the object: step ") and "/500 · ETA " in text for _, text in result["shown"])
    assert (result["code"], events[-1]["event"]) == (143, "cancelled")
    assert result["message"] == "Cancelled: no matte was written."
    assert result["output_left"] == [] and not result["workdir_left"] and not result["matte_strip"]
