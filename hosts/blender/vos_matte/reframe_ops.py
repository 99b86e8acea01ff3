"""Reframing in the Sequencer: the strip's transform keyframed along the camera path the core computes
from its matte (``vos-matte reframe --path``), so the editor can still adjust every key.

The strip's picture is scaled about its centre and moved so that each frame's crop window fills the
scene's frame: with the source W×H, the window centred at (cx, cy) (pixels, top-left origin) and
scale s, ``offset_x = s·(W/2 − cx)`` and ``offset_y = s·(cy − H/2)`` (Blender's y points up).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bpy

from . import timeline
from .clip import ClipError, source_path
from .core_cli import run_cli
from .matte import matte_strips
from .operators import _MatteOperator

ASPECTS = (
    ("source", "Stabilise", "Keep the source's aspect, zoomed in, following the object"),
    ("9:16", "9:16", "Vertical video (stories, shorts)"),
    ("1:1", "1:1", "Square"),
    ("4:5", "4:5", "Portrait feed"),
)
KEYED = ("offset_x", "offset_y", "scale_x", "scale_y")


def keyframe_path(scene: bpy.types.Scene, strip: bpy.types.Strip, path: dict[str, Any]) -> int:
    """Key ``strip``'s transform on every source frame of ``path`` (the JSON of ``vos-matte reframe --path``)
    so the crop window fills the scene's render frame; returns the number of frames keyed."""
    width, height = path["width"], path["height"]
    crop_w, crop_h = path["crop"]
    render = scene.render
    scale = min(render.resolution_x / crop_w, render.resolution_y / crop_h)
    transform = strip.transform
    transform.origin = (0.5, 0.5)
    zero = timeline.source_zero_frame(strip)
    for row in path["frames"]:
        cx, cy = row["x"] + crop_w / 2, row["y"] + crop_h / 2
        transform.scale_x = transform.scale_y = scale
        transform.offset_x, transform.offset_y = scale * (width / 2 - cx), scale * (cy - height / 2)
        for name in KEYED:
            transform.keyframe_insert(name, frame=zero + row["frame"])
    return len(path["frames"])


class VOSMATTE_OT_reframe(_MatteOperator, bpy.types.Operator):
    """Follow the object: key the strip's position and scale along a smoothed path from its matte"""

    bl_idname = "vos_matte.reframe"
    bl_label = "Reframe"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads bl_options as a set

    aspect: bpy.props.EnumProperty(name="Aspect", items=ASPECTS)
    smoothing: bpy.props.FloatProperty(
        name="Smoothing", default=30.0, min=0.0, soft_max=120.0,
        description="Camera steadiness: object motion faster than this many frames is smoothed out (0 = locked on)",
    )
    zoom: bpy.props.FloatProperty(name="Zoom", default=0.0, min=0.0, soft_max=3.0,
                                  description="Crop = largest window of the aspect / zoom; 0 = automatic")
    set_resolution: bpy.props.BoolProperty(name="Set resolution", default=True,
                                           description="Set the scene's resolution to the crop window's size")

    def apply(self, context: bpy.types.Context, strip: bpy.types.Strip) -> set[str]:
        mattes = matte_strips(context.scene, strip)
        if not mattes:
            self.report({"ERROR"}, f"{strip.name} has no matte: press Run first.")
            return {"CANCELLED"}
        folder = Path(bpy.path.abspath(mattes[0].directory))
        path_file = folder.with_name(f"{folder.name}.reframe.json")
        zoom = ["--zoom", str(self.zoom)] if self.zoom else []
        try:
            run_cli(context, "reframe", source_path(strip), "--mattes", str(folder), "--aspect", self.aspect,
                    "--smoothing", str(self.smoothing), *zoom, "--path", str(path_file))
        except ClipError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        path = json.loads(path_file.read_text())
        if self.set_resolution:
            render = context.scene.render
            render.resolution_x, render.resolution_y = path["crop"]
            render.resolution_percentage = 100
        keyed = keyframe_path(context.scene, strip, path)
        self.report({"INFO"}, f"{strip.name}: {keyed} frames keyed, crop {path['crop'][0]}×{path['crop'][1]}")
        return {"FINISHED"}


CLASSES = (VOSMATTE_OT_reframe,)
