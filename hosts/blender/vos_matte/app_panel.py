"""The "Scribbles, reframe, effects" sub-panel: the buttons of scribble_ops, reframe_ops and effects_ops."""

from __future__ import annotations

import bpy

from .matte import matte_strips
from .sidebar import SubPanel


class VOSMATTE_PT_app(SubPanel, bpy.types.Panel):
    bl_label = "Scribbles, Reframe, Effects"
    bl_options = {"DEFAULT_CLOSED"}  # noqa: RUF012 - Blender reads bl_options as a set

    def draw(self, context: bpy.types.Context) -> None:
        scene, layout = context.scene, self.layout
        layout.label(text='Mask layers "foreground", "background":', icon="GREASEPENCIL")
        layout.operator("vos_matte.scribble", icon="BRUSH_DATA")
        strip = scene.sequence_editor.active_strip if scene.sequence_editor else None
        if strip is None or strip.type not in {"MOVIE", "IMAGE"} or not matte_strips(scene, strip):
            layout.label(text="Reframe and effects need a matte: Run first", icon="INFO")
            return
        row = layout.row(align=True)
        for aspect, label in (("source", "Stabilise"), ("9:16", "9:16"), ("1:1", "1:1"), ("4:5", "4:5")):
            row.operator("vos_matte.reframe", text=label).aspect = aspect
        row = layout.row(align=True)
        for effect, label in (("POP", "Pop"), ("HIGHLIGHT", "Highlight"), ("BLUR", "Blur"), ("NONE", "None")):
            row.operator("vos_matte.effect", text=label).effect = effect


CLASSES = (VOSMATTE_PT_app,)
