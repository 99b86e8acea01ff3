"""End to end in real Blender: install, movie strip, Mask from a contour, blocking Run, render.

usage: python bpy_e2e.py SPEC.json  (SPEC: zip, clip, fps, contour (normalised mask points),
runtime, weights, workdir, finetune_iters). Prints ``RESULT {json}`` for the pytest side.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import bpy
from bpy_common import answer, install, preferences, render, set_up_render, trim

spec = json.loads(Path(sys.argv[1]).read_text())
work = Path(spec["workdir"])
ext = install(spec["zip"])
prefs = preferences()
prefs.runtime_path = spec["runtime"]
prefs.weights = spec["weights"]
prefs.device = "cpu"

scene = bpy.context.scene
set_up_render(scene, spec["size"], spec["fps"])
movie = ext.clip.strips_of(scene).new_movie("blackswan", spec["clip"], 2, 11)
scene.sequence_editor.active_strip = movie

# The editor's Mask: one layer, one closed polygonal spline (vector handles = straight segments).
mask = bpy.data.masks.new("swan")
spline = mask.layers.new(name="outline").splines.new()
spline.points.add(len(spec["contour"]) - 1)
for point, (u, v) in zip(spline.points, spec["contour"]):
    point.co = (u, v)
    point.handle_type = "VECTOR"
spline.use_cyclic = True

settings = scene.vos_matte
settings.mask_source, settings.mask = "MASK", mask
settings.preset, settings.finetune_iters = "fast", spec["finetune_iters"]
scene.frame_current = ext.timeline.source_zero_frame(movie)  # mask drawn on source frame 0
bpy.ops.wm.save_as_mainfile(filepath=str(work / "edit.blend"))
ext.rasterize.rasterize_mask(mask, *spec["size"], scene.frame_current, str(work / "mask_raster.png"))

start = time.perf_counter()
assert bpy.ops.vos_matte.segment() == {"FINISHED"}
seconds = time.perf_counter() - start
matte = ext.matte.matte_strip(scene, movie)
assert matte is not None and matte.mute and movie.modifiers["VOS Matte"].input_mask_strip == matte
matte_dir = matte.directory


def render_shown(tag: str) -> dict[int, str]:
    """Render every frame the movie shows; {timeline frame: png}."""
    return render(scene, range(*ext.timeline.handles(movie)), str(work / f"render_{tag}_"))


renders = {"plain": render_shown("plain")}
mapping = {"plain": {f: ext.clip.source_frame(movie, f) for f in renders["plain"]}}

# Trim both ways (hard trim 2 frames at the head, soft trims 1 each side), then re-apply: the
# matte must follow, and re-applying must replace the old matte rather than add a second one.
trim(movie, hard_start=2, soft_start=1, soft_end=1)
ext.matte.apply_matte(scene, movie, matte_folder := bpy.path.abspath(matte_dir))
mattes = [s for s in ext.clip.all_strips(scene) if s.get(ext.matte.OWNER_KEY)]
assert len(mattes) == 1 and len(movie.modifiers) == 1, (mattes, list(movie.modifiers))
renders["trimmed"] = render_shown("trimmed")
mapping["trimmed"] = {f: ext.clip.source_frame(movie, f) for f in renders["trimmed"]}

assert bpy.ops.vos_matte.invert() == {"FINISHED"}
renders["inverted"] = render_shown("inverted")
mapping["inverted"] = mapping["trimmed"]

assert bpy.ops.vos_matte.remove() == {"FINISHED"}
removed = not movie.modifiers and ext.matte.matte_strip(scene, movie) is None

answer({
    "version": bpy.app.version_string, "seconds": seconds, "matte_folder": matte_folder,
    "matte_dir": matte_dir, "renders": renders, "mapping": mapping,
    "removed": removed, "mask_raster": str(work / "mask_raster.png"),
})
