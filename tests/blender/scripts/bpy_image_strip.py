"""Image-sequence strips as targets. usage: python bpy_image_strip.py ZIP FOLDER (FOLDER holds 000.png 001.png 002.png)"""

from __future__ import annotations

import sys

import bpy
from bpy_common import answer, install

ext = install(sys.argv[1])
folder = sys.argv[2].rstrip("/") + "/"
strips = ext.clip.strips_of(bpy.context.scene)
whole = strips.new_image("whole", folder + "000.png", 1, 5)
for name in ("001.png", "002.png"):
    whole.elements.append(name)
whole.animation_offset_start = 1  # hard trim: timeline frame 5 shows 001.png, source frame 1
part = strips.new_image("part", folder + "000.png", 2, 5)  # one image of three
try:
    ext.clip.source_path(part)
    refused = "not refused"
except ext.clip.ClipError as exc:
    refused = str(exc)
# What Blender really shows at timeline frame 5 (the images are uniform grey 0, 80, 160)
scene = bpy.context.scene
scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 40, 24, 100
scene.view_settings.view_transform = "Standard"
part.mute = True
scene.frame_set(5)
scene.render.filepath = folder + "../render_005.png"
bpy.ops.render.render(write_still=True)
answer({
    "render": scene.render.filepath,
    "path": ext.clip.source_path(whole), "size": list(ext.clip.source_size(whole)),
    "frames": {f: ext.clip.source_frame(whole, f) for f in range(whole.frame_final_start, whole.frame_final_end)},
    "zero": ext.clip.source_zero_frame(whole), "partial_refused": refused,
})
