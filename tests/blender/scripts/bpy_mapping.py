"""Timeline ↔ source frames and applying a matte, for a movie strip and an image-sequence strip.

usage: python bpy_mapping.py SPEC.json  (SPEC: zip, frames (folder of 000.png...), movie (the same
frames), mattes (folder of 00000.png...), size, fps, workdir). Every frame is a uniform grey that
names its index; so is every matte. For each strip and trim, the script reports what the add-on
maps each timeline frame to, and what Blender renders there before and after apply_matte, so the
pytest side checks the add-on against this release's own behaviour. Prints ``RESULT {json}``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import bpy
from bpy_common import PACKAGE, answer, install, render, set_up_render, strips_of, trim

spec = json.loads(Path(sys.argv[1]).read_text())
work = Path(spec["workdir"])
ext = install(spec["zip"])
frames = sorted(Path(spec["frames"]).glob("*.png"))


def new_strip(scene: bpy.types.Scene, kind: str, start: int):
    if kind == "movie":
        return strips_of(scene).new_movie(kind, spec["movie"], 1, start)
    strip = strips_of(scene).new_image(kind, str(frames[0]), 1, start)
    for path in frames[1:]:
        strip.elements.append(path.name)
    return strip


def observe(scene: bpy.types.Scene, strip, tag: str) -> dict:
    """The add-on's mapping, and Blender's renders without and with the matte, over the shown frames."""
    left, right = ext.timeline.handles(strip)
    shown = range(left, right)
    result = {
        "mapping": {t: ext.clip.source_frame(strip, t) for t in shown},
        "outside": [ext.timeline.source_frame(strip, t) for t in (left - 1, right)],
        "source": render(scene, shown, str(work / f"{tag}_source_")),
    }
    ext.matte.apply_matte(scene, strip, spec["mattes"], relative=False)
    result["matted"] = render(scene, shown, str(work / f"{tag}_matted_"))
    return result


# One scene (renders of other scenes come out empty in background mode), the strips far apart in time.
scene = bpy.context.scene
set_up_render(scene, spec["size"], spec["fps"])
results = {}
for kind, start in (("movie", 11), ("image", 41)):
    strip = new_strip(scene, kind, start)
    results[kind] = {"plain": observe(scene, strip, f"{kind}_plain")}
    trim(strip, hard_start=2, hard_end=1, soft_start=1, soft_end=1)
    results[kind]["trimmed"] = observe(scene, strip, f"{kind}_trimmed")
    results[kind]["mattes"] = sum(1 for s in ext.clip.all_strips(scene) if s.get(ext.matte.OWNER_KEY) == kind)

part = strips_of(scene).new_image("part", str(frames[0]), 3, 71)  # one image of the folder
try:
    ext.clip.source_path(part)
    refused = "not refused"
except ext.clip.ClipError as exc:
    refused = str(exc)
path, size = ext.clip.source_path(strips_of(scene)["image"]), list(ext.clip.source_size(strips_of(scene)["image"]))

bpy.ops.preferences.addon_disable(module=PACKAGE)  # unregister must undo register completely
answer({
    "version": bpy.app.version_string, "results": results,
    "path": path, "size": size, "partial_refused": refused,
    "unregistered": not hasattr(bpy.types.Scene, "vos_matte") and not hasattr(bpy.types, "VOSMATTE_PT_panel"),
})
