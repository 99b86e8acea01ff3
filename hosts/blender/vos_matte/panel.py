"""The Video Sequencer sidebar panel (N panel → VOS Matte tab)."""

from __future__ import annotations

import bpy

from . import jobrun
from .matte import is_inverted, matte_strip


class VOSMATTE_PT_panel(bpy.types.Panel):
    bl_label = "VOS Matte"
    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "VOS Matte"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        scene, settings = context.scene, context.scene.vos_matte
        strip = scene.sequence_editor.active_strip if scene.sequence_editor else None
        if strip is None or strip.type not in {"MOVIE", "IMAGE"}:
            layout.label(text="Select a movie or image strip", icon="INFO")
        else:
            layout.label(text=f"{strip.name}, mask at frame {scene.frame_current}", icon="SEQUENCE")
        layout.prop(settings, "mask_source", expand=True)
        layout.prop(settings, "mask" if settings.mask_source == "MASK" else "mask_file")
        layout.prop(settings, "refine_edges")
        layout.prop(settings, "preset")
        layout.prop(settings, "finetune_iters")
        layout.prop(settings, "threshold")
        layout.prop(settings, "output_dir")
        run = jobrun.CURRENT
        if run is not None:
            layout.progress(factor=run.factor, type="BAR", text=run.text)
            layout.operator("vos_matte.cancel", icon="CANCEL")
        else:
            layout.operator("vos_matte.segment", icon="PLAY")
        if strip is not None and matte_strip(scene, strip) is not None:
            row = layout.row(align=True)
            row.operator("vos_matte.invert", icon="ARROW_LEFTRIGHT", depress=is_inverted(scene, strip))
            row.operator("vos_matte.remove", icon="TRASH")


CLASSES = (VOSMATTE_PT_panel,)
