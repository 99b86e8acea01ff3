"""Putting matte sequences on the timeline: per object, a muted image strip feeding a Mask modifier on the source.

An unnamed object (the only one of a run) keeps the plain names (``VOS Matte``, ``<strip>.matte``);
named objects get ``VOS Matte: <name>`` and ``<strip>.matte.<name>``. Mask modifiers multiply, so
of several objects' modifiers one is on and the rest are muted: the panel switches between them.
"""

from __future__ import annotations

from pathlib import Path

import bpy

from . import timeline
from .clip import all_strips, strips_of

MODIFIER = "VOS Matte"
INVERT_MODIFIER = "VOS Matte Invert"
#: Custom property on a matte strip naming the strip it belongs to, so a re-run finds and replaces it.
OWNER_KEY = "vos_matte_source"
#: Custom property on a matte strip naming its object ("" for an unnamed one).
OBJECT_KEY = "vos_matte_object"


def modifier_name(name: str = "") -> str:
    return f"{MODIFIER}: {name}" if name else MODIFIER


def matte_strips(scene: bpy.types.Scene, strip: bpy.types.Strip) -> list[bpy.types.Strip]:
    """Every object's matte strip of ``strip``."""
    return [s for s in all_strips(scene) if s.get(OWNER_KEY) == strip.name]


def matte_strip(scene: bpy.types.Scene, strip: bpy.types.Strip, name: str = "") -> bpy.types.Strip | None:
    """The matte strip of ``strip``'s object ``name``, if it has one."""
    return next((s for s in matte_strips(scene, strip) if s.get(OBJECT_KEY, "") == name), None)


def remove_matte(scene: bpy.types.Scene, strip: bpy.types.Strip) -> bool:
    """Remove every matte of ``strip`` (modifiers and matte strips); False if it had none."""
    mattes = matte_strips(scene, strip)
    names = {modifier_name(m.get(OBJECT_KEY, "")) for m in mattes} | {MODIFIER}
    modifiers = [m for m in strip.modifiers if m.name in names]
    for modifier in modifiers:
        strip.modifiers.remove(modifier)
    for matte in mattes:
        strips_of(scene).remove(matte)
    return bool(mattes or modifiers)


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


def apply_matte(
    scene: bpy.types.Scene, strip: bpy.types.Strip, folder: str, relative: bool = True, name: str = "",
    active: bool = True,
) -> bpy.types.Strip:
    """Replace object ``name``'s matte of ``strip`` with the PNG sequence in ``folder`` (``NNNNN.png`` = source frame N).

    The matte strip starts where its first source frame sits in ``strip``, so frame k of both
    strips meet on the same timeline frame (a run over a trimmed range writes only that range); it
    is shown where both are and muted (a muted strip still feeds a Mask modifier but is not drawn
    itself). ``active`` False mutes the Mask modifier too (see the module docstring). With
    ``relative`` (and a saved .blend) the strip refers to the files by a // path, so the project
    folder can move.
    """
    files = sorted(Path(folder).glob("[0-9]*.png"))
    if not files:
        raise FileNotFoundError(f"no mattes in {folder}")
    _remove_object(scene, strip, name)
    _allow_modifiers(scene)
    first = bpy.path.relpath(str(files[0])) if relative and bpy.data.filepath else str(files[0])
    start = timeline.source_zero_frame(strip) + int(files[0].stem)
    label = f"{strip.name}.matte.{name}" if name else f"{strip.name}.matte"
    matte = strips_of(scene).new_image(label, first, _free_channel(scene, strip), start)
    for path in files[1:]:
        matte.elements.append(path.name)
    left, right = timeline.handles(strip)
    timeline.set_handles(matte, max(left, start), min(right, start + len(files)))
    matte.mute = True
    matte[OWNER_KEY] = strip.name
    matte[OBJECT_KEY] = name
    modifier = strip.modifiers.new(name=modifier_name(name), type="MASK")
    modifier.input_mask_type = "STRIP"
    modifier.input_mask_strip = matte
    modifier.mute = not active
    return matte


def _remove_object(scene: bpy.types.Scene, strip: bpy.types.Strip, name: str) -> None:
    modifier = strip.modifiers.get(modifier_name(name))
    if modifier is not None:
        strip.modifiers.remove(modifier)
    matte = matte_strip(scene, strip, name)
    if matte is not None:
        strips_of(scene).remove(matte)


def set_inverted(scene: bpy.types.Scene, strip: bpy.types.Strip, inverted: bool) -> None:
    """Keep the outside instead of the objects: a Curves modifier mapping 0→1, 1→0 on each matte strip."""
    mattes = matte_strips(scene, strip)
    if not mattes:
        raise LookupError(f"{strip.name} has no matte")
    for matte in mattes:
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
    return any(matte.modifiers.get(INVERT_MODIFIER) is not None for matte in matte_strips(scene, strip))
