"""Timeline frames ↔ source frames of a strip: the only module that reads or moves strip timing.

Source frames are numbered from 0 like the worker's mattes (``00000.png``...). At timeline frame
``t`` a strip shows source frame ``t - content_start + content_trim_start``, where ``content_start``
is the timeline frame of the first frame left after the hard trim, ``content_trim_start`` the number
of frames hard-trimmed from the source's head; the handles (soft trims) only hide frames.

Blender 5.2 renamed these properties (the old names warn and are removed in 6.0):
``frame_final_start``/``frame_final_end`` → ``left_handle``/``right_handle``, ``frame_start`` →
``content_start``, ``animation_offset_start`` → ``content_trim_start``. It also changed what a hard
trim does: since 5.2 trimming the head moves ``content_start`` (and the left handle) right, so the
remaining frames keep their timeline positions; before, ``frame_start`` stayed and the content slid
left. The formula above holds for both, so only the names differ here.
"""

from __future__ import annotations

import bpy


def _renamed(strip: bpy.types.Strip) -> bool:
    """True on Blender 5.2+, which has the new timing names (checked on RNA: no deprecation warning)."""
    return "left_handle" in strip.bl_rna.properties


def handles(strip: bpy.types.Strip) -> tuple[int, int]:
    """(first timeline frame the strip shows, first frame after it)."""
    if _renamed(strip):
        return strip.left_handle, strip.right_handle
    return strip.frame_final_start, strip.frame_final_end


def set_handles(strip: bpy.types.Strip, left: int, right: int) -> None:
    """Show ``strip`` from timeline frame ``left`` to ``right - 1`` (moves handles, not content)."""
    if _renamed(strip):
        strip.left_handle, strip.right_handle = left, right
    else:
        strip.frame_final_start, strip.frame_final_end = left, right


def source_zero_frame(strip: bpy.types.Strip) -> int:
    """Timeline frame where source frame 0 would sit, hard trim included."""
    if _renamed(strip):
        return round(strip.content_start) - strip.content_trim_start
    return round(strip.frame_start) - strip.animation_offset_start


def source_frame(strip: bpy.types.Strip, timeline_frame: int) -> int | None:
    """0-based source frame shown at ``timeline_frame``; None where the strip shows nothing."""
    left, right = handles(strip)
    if not left <= timeline_frame < right:
        return None
    return timeline_frame - source_zero_frame(strip)

