"""Soft mattes on the timeline: what Blender renders through apply_matte for 8- and 16-bit grey PNGs.

usage: python bpy_soft_matte.py SPEC.json  (SPEC: zip, movie, size, fps, workdir, mattes: {tag: folder}).
For each matte folder the movie strip gets that matte and frame 1 of the timeline is rendered as a
16-bit RGBA PNG. Prints ``RESULT {"renders": {tag: png}}``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import bpy
from bpy_common import answer, install, render, set_up_render, strips_of

spec = json.loads(Path(sys.argv[1]).read_text())
work = Path(spec["workdir"])
ext = install(spec["zip"])
scene = bpy.context.scene
set_up_render(scene, spec["size"], spec["fps"])
scene.render.image_settings.color_depth = "16"
strip = strips_of(scene).new_movie("movie", spec["movie"], 1, 1)
renders = {}
for tag, folder in spec["mattes"].items():
    ext.matte.apply_matte(scene, strip, folder, relative=False)
    renders[tag] = render(scene, range(1, 2), str(work / f"{tag}_"))[1]
answer({"renders": renders})
