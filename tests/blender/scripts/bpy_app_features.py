"""Reframing, effects and scribbles in real Blender, on a movie strip with its ground-truth matte.

usage: python bpy_app_features.py SPEC.json  (SPEC: zip, movie, mattes (folder of 00000.png...), runtime,
size, fps, workdir, strokes ({"foreground"|"background": [polygon of normalised mask points, ...]})).
Renders what each feature produces; the pytest side checks the pictures. Prints ``RESULT {json}``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import bpy
from bpy_common import answer, render, start

spec, ext, scene = start(sys.argv[1])
work = Path(spec["workdir"])
movie = ext.clip.strips_of(scene).new_movie("clip", spec["movie"], 2, 11)
scene.sequence_editor.active_strip = movie
shown = range(*ext.timeline.handles(movie))
result = {"version": bpy.app.version_string, "first": shown[0], "plain": render(scene, shown, str(work / "plain_"))}

ext.matte.apply_matte(scene, movie, spec["mattes"], relative=False)
sample = shown[3]
result["effects"] = {}
for kind in ("POP", "HIGHLIGHT", "BLUR"):
    assert bpy.ops.vos_matte.effect(strip="clip", effect=kind) == {"FINISHED"}, kind
    result["effects"][kind] = render(scene, [sample], str(work / f"{kind.lower()}_"))[sample]
result["blur_strips"] = sum(1 for s in ext.clip.all_strips(scene) if s.get(ext.effects_ops.BLUR_KEY) == "clip")
assert bpy.ops.vos_matte.effect(strip="clip", effect="NONE") == {"FINISHED"}
result["restored"] = {
    "cutout_on": not movie.modifiers[ext.matte.MODIFIER].mute,
    "inverted": ext.matte.is_inverted(scene, movie),
    "effect_left": movie.modifiers.get(ext.effects_ops.MODIFIER) is not None,
    "blur_left": any(s.get(ext.effects_ops.BLUR_KEY) for s in ext.clip.all_strips(scene)),
}

movie.modifiers[ext.matte.MODIFIER].mute = True  # see the whole reframed picture
assert bpy.ops.vos_matte.reframe(strip="clip", aspect="9:16") == {"FINISHED"}
matte_dir = Path(ext.matte.matte_strip(scene, movie).directory)
result["path"] = str(matte_dir.with_name(f"{matte_dir.name}.reframe.json"))
result["resolution"] = [scene.render.resolution_x, scene.render.resolution_y]
result["reframed"] = render(scene, shown, str(work / "reframed_"))

mask = bpy.data.masks.new("scribbles")
for name, polygons in spec["strokes"].items():
    layer = mask.layers.new(name=name)
    for polygon in polygons:
        spline = layer.splines.new()
        spline.points.add(len(polygon) - 1)
        for point, (u, v) in zip(spline.points, polygon):
            point.co = (u, v)
            point.handle_type = "VECTOR"
        spline.use_cyclic = True
scene.vos_matte.mask = mask
scene.frame_current = shown[0]
assert bpy.ops.vos_matte.scribble(strip="clip") == {"FINISHED"}
result["scribble"] = {"source": scene.vos_matte.mask_source, "file": scene.vos_matte.mask_file}
result["panel"] = hasattr(bpy.types, "VOSMATTE_PT_app")
answer(result)
