"""VOS Matte: one-shot video object segmentation in Blender's Video Sequencer.

Blender's Python only prepares jobs and shows progress; the segmentation runs in a separate
runtime environment (PyTorch, OpenCV, the vos-matte core) started as ``python -m plugin.worker``.
``_plugin`` holds the core's standard-library client, copied in when the extension is built.
"""

from __future__ import annotations

import bpy

from . import app_panel, confidence_ui, effects_ops, jobrun, operators, panel, reframe_ops, scribble_ops, settings

CLASSES = (
    settings.VOSMATTE_PG_keyframe, settings.VOSMATTE_PG_object, settings.VOSMATTE_PG_settings,
    settings.VOSMATTE_AP_preferences, *operators.CLASSES, *scribble_ops.CLASSES,
    *reframe_ops.CLASSES, *effects_ops.CLASSES, *panel.CLASSES, *confidence_ui.CLASSES,
    *app_panel.CLASSES,
)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.vos_matte = bpy.props.PointerProperty(type=settings.VOSMATTE_PG_settings)


def unregister() -> None:
    # The worker runs in its own session, so nothing else stops it; Blender also disables add-ons when it quits.
    jobrun.stop_current()
    del bpy.types.Scene.vos_matte
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
