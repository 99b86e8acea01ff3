"""Where to correct next, on the timeline: markers on low-confidence runs and "Go to suggested frame".

The worker's events carry the confidence track (plugin/pipeline.py ``segment_stream``): each
segment progress event has ``frame`` and ``confidence`` per object, and a closing ``confidence``
event lists ``low_runs`` (``[first, last]`` source frames) and the ``suggested`` correction
frames. :func:`show` turns them into timeline markers at the strip's position and remembers the
suggested frame on the scene; the sub-panel's button moves the playhead there, where the editor
draws the correction and runs again. With no low-confidence run nothing needs correcting: the
suggestion (then merely the least confident frame) is not offered.
"""

from __future__ import annotations

from typing import Any

import bpy

from . import timeline
from .sidebar import SubPanel

#: Markers this module owns start with this; a new run replaces them.
MARKER_PREFIX = "VOS "
#: Scene custom property holding the suggested correction as a timeline frame.
SUGGESTED_KEY = "vos_matte_suggested"
#: Scene custom property holding how many low-confidence runs the last run had.
LOW_RUNS_KEY = "vos_matte_low_runs"


def _clear(scene: bpy.types.Scene) -> None:
    for marker in [m for m in scene.timeline_markers if m.name.startswith(MARKER_PREFIX)]:
        scene.timeline_markers.remove(marker)
    for key in (SUGGESTED_KEY, LOW_RUNS_KEY):
        if key in scene:
            del scene[key]


def show(scene: bpy.types.Scene, strip: bpy.types.Strip, events: list[dict[str, Any]]) -> int | None:
    """Mark ``strip``'s low-confidence runs from a run's ``events``; returns the suggested timeline frame.

    One marker at the first frame of each low run ("VOS low 12-20", source frames) and one on the
    suggested frame ("VOS correct here"), unless no run is low (then None: no correction is needed).
    Markers of an earlier run are removed first; without a ``confidence`` event (an older runtime)
    nothing is marked and None is returned.
    """
    _clear(scene)
    summary = next((e for e in reversed(events) if e["event"] == "confidence"), None)
    if summary is None:
        return None
    zero = timeline.source_zero_frame(strip)
    for first, last in summary["low_runs"]:
        scene.timeline_markers.new(f"{MARKER_PREFIX}low {first}-{last}", frame=zero + first)
    scene[LOW_RUNS_KEY] = len(summary["low_runs"])
    if not summary["low_runs"] or not summary["suggested"]:
        return None
    frame = zero + summary["suggested"][0]
    scene.timeline_markers.new(f"{MARKER_PREFIX}correct here", frame=frame)
    scene[SUGGESTED_KEY] = frame
    return frame


class VOSMATTE_OT_goto_suggested(bpy.types.Operator):
    """Move the playhead to the frame where a correction should help most"""

    bl_idname = "vos_matte.goto_suggested"
    bl_label = "Go to suggested frame"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads bl_options as a set

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return SUGGESTED_KEY in context.scene

    def execute(self, context: bpy.types.Context) -> set[str]:
        context.scene.frame_set(int(context.scene[SUGGESTED_KEY]))
        return {"FINISHED"}


def verdict(scene: bpy.types.Scene) -> tuple[str, str]:
    """The sub-panel's line on the last run and its icon: none shown yet, no correction needed, or how
    many low-confidence runs it marked."""
    if LOW_RUNS_KEY not in scene:
        return "Run to see where the matte is least sure", "INFO"
    if not scene[LOW_RUNS_KEY]:
        return "No low-confidence frame: no correction needed", "CHECKMARK"
    return f"{scene[LOW_RUNS_KEY]} low-confidence runs (timeline markers)", "MARKER_HLT"


class VOSMATTE_PT_confidence(SubPanel, bpy.types.Panel):
    bl_label = "Where to correct"

    def draw(self, context: bpy.types.Context) -> None:
        scene, layout = context.scene, self.layout
        text, icon = verdict(scene)
        layout.label(text=text, icon=icon)
        if SUGGESTED_KEY in scene:
            layout.operator(VOSMATTE_OT_goto_suggested.bl_idname,
                            text=f"Go to suggested frame ({scene[SUGGESTED_KEY]})", icon="FRAME_NEXT")


CLASSES = (VOSMATTE_OT_goto_suggested, VOSMATTE_PT_confidence)
