"""Objects, keyframes and the strip's trims → the job; per-object mattes back on the timeline.

usage: python bpy_objects.py SPEC.json  (SPEC: zip, movie (uniform-grey frames), mattes (folder of
00000.png... whose grey names the frame), size, fps, runtime (a python that exists), workdir).
Two Mask datablocks: "swan" keyed in the Dope Sheet on three frames (one outside the trimmed strip),
"dog" given a keyframe with the panel's Add Keyframe. The script prepares the job, stands in for the
worker by copying the mattes of the range into each object's folder, finishes the run, and renders.
Prints ``RESULT {json}``.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import bpy
from bpy_common import answer, install, preferences, render, set_up_render, strips_of, trim

spec = json.loads(Path(sys.argv[1]).read_text())
work = Path(spec["workdir"])
ext = install(spec["zip"])
preferences().runtime_path = spec["runtime"]
scene = bpy.context.scene
set_up_render(scene, spec["size"], spec["fps"])
settings = scene.vos_matte
settings.output_dir = str(work / "mattes")
movie = strips_of(scene).new_movie("grey", spec["movie"], 1, 1)
scene.sequence_editor.active_strip = movie
trim(movie, soft_start=2, soft_end=1)  # shows source frames 2..8 of 10: the range to segment
zero = ext.timeline.source_zero_frame(movie)


def square(name: str, u0: float, v0: float, u1: float, v1: float) -> bpy.types.Mask:
    """A Mask holding one closed square spline (normalised coordinates)."""
    mask = bpy.data.masks.new(name)
    spline = mask.layers.new(name="outline").splines.new()
    spline.points.add(3)
    for point, co in zip(spline.points, ((u0, v0), (u1, v0), (u1, v1), (u0, v1))):
        point.co, point.handle_type = co, "VECTOR"
    spline.use_cyclic = True
    return mask


swan = square("swan", 0.3, 0.4, 0.5, 0.6)
for source in (0, 3, 6):  # keyed in the Dope Sheet; source frame 0 is trimmed off, so it is left out
    swan.layers[0].keyframe_insert("alpha", frame=zero + source)
dog = square("dog", 0.6, 0.4, 0.8, 0.6)
settings.mask = swan
assert bpy.ops.vos_matte.add_object() == {"FINISHED"}
settings.mask = dog
assert bpy.ops.vos_matte.add_object() == {"FINISHED"}
scene.frame_current = zero + 5
assert bpy.ops.vos_matte.keyframe() == {"FINISHED"}  # the active object (dog) is drawn on source frame 5
scene.frame_current = zero + 7
assert bpy.ops.vos_matte.keyframe() == {"FINISHED"}
assert bpy.ops.vos_matte.keyframe(remove=True) == {"FINISHED"}  # added by mistake: taken off again

prepared = ext.jobrun.prepare(bpy.context)
job = json.loads(Path(prepared.job_path).read_text())


def white_columns(path: str) -> list[int]:
    """First and last pixel column holding white in a rasterised mask (before the run removes it)."""
    image = bpy.data.images.load(path)
    width, height = image.size
    pixels = list(image.pixels)
    bpy.data.images.remove(image)
    columns = sorted({i % width for i in range(width * height) if pixels[4 * i] > 0.5})
    return [columns[0], columns[-1]] if columns else []


masks = {ref["mask"]: white_columns(ref["mask"]) for obj in job["objects"] for ref in obj["keyframes"]}
for name in prepared.objects:  # what the worker writes for frames start..end
    folder = Path(prepared.folder(name))
    folder.mkdir(parents=True)
    for index in range(job["start"], job["end"] + 1):
        shutil.copy(Path(spec["mattes"]) / f"{index:05d}.png", folder)
done = {"event": "done", "output": prepared.output, "frames": job["end"] - job["start"] + 1, "seconds": 1.0}
message = ext.jobrun.finish(bpy.context, prepared, 0, [done], [])

mattes = {}
for name in prepared.objects:
    matte = ext.matte.matte_strip(scene, movie, name)
    modifier = movie.modifiers[ext.matte.modifier_name(name)]
    left, right = ext.timeline.handles(matte)
    shown = {t: int(matte.elements[t - ext.timeline.source_zero_frame(matte)].filename[:5]) for t in range(left, right)}
    mattes[name] = {"strip": matte.name, "muted": matte.mute, "modifier": modifier.name, "modifier_muted": modifier.mute,
                    "input": modifier.input_mask_strip.name, "shows": shown}
mapping = {t: ext.clip.source_frame(movie, t) for t in range(*ext.timeline.handles(movie))}
renders = render(scene, range(*ext.timeline.handles(movie)), str(work / "objects_"))



class Layout:
    """Stands in for a UILayout (background mode draws no panels): records labels and operator buttons."""

    def __init__(self, drawn: list) -> None:
        self.drawn = drawn

    def box(self):
        return self

    def row(self, align: bool = False):
        return self

    def label(self, text: str = "", icon: str = "NONE") -> None:
        self.drawn.append(["label", text])

    def prop(self, data, name: str, text: str = "", icon: str = "NONE") -> None:
        self.drawn.append(["prop", name, getattr(data, name)])

    def operator(self, idname: str, text: str = "", icon: str = "NONE"):
        self.drawn.append(["operator", idname])
        return type("Properties", (), {})()


panel_lines: list = []
ext.panel.VOSMATTE_PT_panel.draw_objects(Layout(panel_lines), scene, movie)
panel = [line for line in panel_lines if (line[0] == "label" and line[1]) or line[1] in ("name", "mute")]



def corner_after_cleanup(name: str, corner: tuple[int, int]) -> list[list[float]]:
    """Top-right 2×2 of a 6×4 PNG whose pixels ``corner`` (rows from the bottom, columns) are white, after
    the rasteriser's stray-corner cleanup (Blender 4.2 leaves the buffer's last pixel uninitialised at times)."""
    image = bpy.data.images.new(name, 6, 4)
    pixels = [0.0, 0.0, 0.0, 1.0] * 24
    for row in range(corner[0], 4):
        for column in range(corner[1], 6):
            pixels[4 * (row * 6 + column):4 * (row * 6 + column) + 3] = [1.0] * 3
    image.pixels.foreach_set(pixels)
    image.filepath_raw, image.file_format = str(work / f"{name}.png"), "PNG"
    image.save()
    bpy.data.images.remove(image)
    ext.rasterize._clear_stray_corner(str(work / f"{name}.png"))
    cleaned = bpy.data.images.load(str(work / f"{name}.png"))
    values = list(cleaned.pixels)
    bpy.data.images.remove(cleaned)
    return [[round(values[4 * (row * 6 + column)], 3) for column in (4, 5)] for row in (2, 3)]


corners = {"stray": corner_after_cleanup("stray", (3, 5)), "drawn": corner_after_cleanup("drawn", (2, 4))}

# A second run with one object (the list emptied, the plain Mask chosen) replaces both objects' mattes.
settings.objects.clear()
settings.mask = swan
single = ext.jobrun.prepare(bpy.context)
single_job = json.loads(Path(single.job_path).read_text())
shutil.copytree(prepared.folder("swan"), single.folder(""), dirs_exist_ok=True)
ext.jobrun.finish(bpy.context, single, 0, [{**done, "output": single.output}], [])
after = sorted((s.name, s.get(ext.matte.OBJECT_KEY)) for s in ext.matte.matte_strips(scene, movie))

answer({
    "job": job, "masks": masks, "panel": panel, "zero": zero, "message": message, "mattes": mattes, "mapping": mapping, "renders": renders,
    "corners": corners, "objects": list(prepared.objects), "single_job": single_job, "after": after, "modifiers": [m.name for m in movie.modifiers],
})
