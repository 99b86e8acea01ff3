"""Putting a matte sequence on the timeline: a muted image strip feeding a Mask modifier on the source."""

from __future__ import annotations

from pathlib import Path

import bpy

from . import timeline
from .clip import all_strips, strips_of

MODIFIER = "VOS Matte"
INVERT_MODIFIER = "VOS Matte Invert"
#: Custom property on a matte strip naming the strip it belongs to, so a re-run finds and replaces it.
OWNER_KEY = "vos_matte_source"


def matte_strip(scene: bpy.types.Scene, strip: bpy.types.Strip) -> bpy.types.Strip | None:
    return next((s for s in all_strips(scene) if s.get(OWNER_KEY) == strip.name), None)


def remove_matte(scene: bpy.types.Scene, strip: bpy.types.Strip) -> bool:
    """Remove the matte of ``strip`` (modifier and matte strip); False if it had none."""
    found = False
    modifier = strip.modifiers.get(MODIFIER)
    if modifier is not None:
        strip.modifiers.remove(modifier)
        found = True
    matte = matte_strip(scene, strip)
    if matte is not None:
        strips_of(scene).remove(matte)
        found = True
    return found


def _free_channel(scene: bpy.types.Scene, strip: bpy.types.Strip) -> int:
    """The lowest channel above ``strip`` with nothing in its frame range."""
    start, end = timeline.source_zero_frame(strip), timeline.handles(strip)[1]
    for channel in range(strip.channel + 1, 129):
        taken = (timeline.handles(s) for s in all_strips(scene) if s.channel == channel)
        if not any(left < end and start < right for left, right in taken):
            return channel
    return 128


def _allow_modifiers(scene: bpy.types.Scene) -> None:
    # Blender 5.0 in background mode segfaults in modifiers.new() unless the workspace names the
    # sequencer scene (the attribute does not exist before 5.0).
    workspace = bpy.context.workspace
    if workspace is not None and hasattr(workspace, "sequencer_scene"):
        workspace.sequencer_scene = scene


def apply_matte(scene: bpy.types.Scene, strip: bpy.types.Strip, folder: str, relative: bool = True) -> bpy.types.Strip:
    """Replace ``strip``'s matte with the PNG sequence in ``folder`` (``00000.png``... = source frames).

    The matte strip holds every source frame and starts where source frame 0 would, so frame k of
    both strips meet on the same timeline frame; it copies the source's soft trims and is muted
    (a muted strip still feeds a Mask modifier but is not drawn itself). With ``relative`` (and a
    saved .blend) the strip refers to the files by a // path, so the project folder can move.
    """
    files = sorted(Path(folder).glob("[0-9]*.png"))
    if not files:
        raise FileNotFoundError(f"no mattes in {folder}")
    remove_matte(scene, strip)
    _allow_modifiers(scene)
    first = bpy.path.relpath(str(files[0])) if relative and bpy.data.filepath else str(files[0])
    zero = timeline.source_zero_frame(strip)
    matte = strips_of(scene).new_image(f"{strip.name}.matte", first, _free_channel(scene, strip), zero)
    for path in files[1:]:
        matte.elements.append(path.name)
    timeline.set_handles(matte, *timeline.handles(strip))
    matte.mute = True
    matte[OWNER_KEY] = strip.name
    modifier = strip.modifiers.new(name=MODIFIER, type="MASK")
    modifier.input_mask_type = "STRIP"
    modifier.input_mask_strip = matte
    return matte


def set_inverted(scene: bpy.types.Scene, strip: bpy.types.Strip, inverted: bool) -> None:
    """Keep the outside instead of the object: a Curves modifier mapping 0→1, 1→0 on the matte strip."""
    matte = matte_strip(scene, strip)
    if matte is None:
        raise LookupError(f"{strip.name} has no matte")
    existing = matte.modifiers.get(INVERT_MODIFIER)
    if existing is not None and not inverted:
        matte.modifiers.remove(existing)
    elif existing is None and inverted:
        _allow_modifiers(scene)
        curves = matte.modifiers.new(name=INVERT_MODIFIER, type="CURVES")
        combined = curves.curve_mapping.curves[3]
        combined.points[0].location = (0.0, 1.0)
        combined.points[-1].location = (1.0, 0.0)
        curves.curve_mapping.update()


def is_inverted(scene: bpy.types.Scene, strip: bpy.types.Strip) -> bool:
    matte = matte_strip(scene, strip)
    return matte is not None and matte.modifiers.get(INVERT_MODIFIER) is not None
