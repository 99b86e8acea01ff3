"""The Video Sequencer sidebar panel (N panel → VOS Matte tab)."""

from __future__ import annotations

import bpy

from . import jobrun
from .keyframes import object_frames
from .matte import is_inverted, matte_strip, matte_strips, modifier_name
from .sidebar import InSidebar


class VOSMATTE_PT_panel(InSidebar, bpy.types.Panel):
    bl_label = "VOS Matte"

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
        self.draw_objects(layout, scene, strip)
        layout.prop(settings, "refine_edges")
        layout.prop(settings, "preset")
        layout.prop(settings, "finetune_iters")
        layout.prop(settings, "threshold")
        layout.prop(settings, "edge", expand=True)
        if settings.edge == "soft":
            column = layout.column(align=True)
            for name in ("feather", "contrast", "shift_edge", "smooth", "reduce_chatter"):
                column.prop(settings, name)
        layout.prop(settings, "output_dir")
        run = jobrun.CURRENT
        if run is not None:
            layout.progress(factor=run.factor, type="BAR", text=run.text)
            layout.operator("vos_matte.cancel", icon="CANCEL")
        else:
            layout.operator("vos_matte.segment", icon="PLAY")
        if strip is not None and matte_strips(scene, strip):
            row = layout.row(align=True)
            row.operator("vos_matte.invert", icon="ARROW_LEFTRIGHT", depress=is_inverted(scene, strip))
            row.operator("vos_matte.remove", icon="TRASH")


    @staticmethod
    def draw_objects(layout: bpy.types.UILayout, scene: bpy.types.Scene, strip: bpy.types.Strip | None) -> None:
        """The objects and their keyframes (timeline frames), with a switch for each object's Mask modifier."""
        settings = scene.vos_matte
        box = layout.box()
        if not len(settings.objects) and settings.mask_source == "MASK" and settings.mask is not None:
            frames = object_frames((), settings.mask, scene.frame_current)
            box.label(text=f"{settings.mask.name}: keyframes {', '.join(map(str, frames))}", icon="KEYFRAME")
        for n, obj in enumerate(settings.objects):
            row = box.row(align=True)
            row.label(text="", icon="RADIOBUT_ON" if n == settings.active_object else "RADIOBUT_OFF")
            row.prop(obj, "name", text="")
            row.prop(obj, "mask", text="")
            frames = object_frames(obj.keyframes, obj.mask, scene.frame_current)
            box.label(text=f"keyframes {', '.join(map(str, frames))}", icon="KEYFRAME")
            if strip is not None and matte_strip(scene, strip, obj.name) is not None:
                modifier = strip.modifiers.get(modifier_name(obj.name))
                if modifier is not None:
                    row.prop(modifier, "mute", text="", icon="HIDE_ON" if modifier.mute else "HIDE_OFF")
        if len(settings.objects):
            box.prop(settings, "active_object", text="Active object")
        row = box.row(align=True)
        row.operator("vos_matte.add_object", icon="ADD")
        row.operator("vos_matte.remove_object", icon="REMOVE")
        row = box.row(align=True)
        row.operator("vos_matte.keyframe", text="Add Keyframe", icon="KEY_HLT").remove = False
        row.operator("vos_matte.keyframe", text="Remove Keyframe", icon="KEY_DEHLT").remove = True


CLASSES = (VOSMATTE_PT_panel,)
