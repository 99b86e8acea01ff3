"""Which objects the editor drew and on which frames: the panel's object list, or the one chosen Mask.

An object is a Mask datablock (or, with Mask from Image, the image file); its keyframes are the
timeline frames listed on it with Add Keyframe, plus every frame where the Mask datablock is keyed
in the Dope Sheet / Timeline (F-curve keys of its layers). An object with neither is drawn on the
current frame. Each keyframe is rasterised at its frame, so a correction is drawn by changing the
mask on a later frame and adding that frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import bpy

from .clip import ClipError


@dataclass(frozen=True)
class DrawnObject:
    """One object to segment: its name (empty for the only, unnamed one), where its mask comes from and its frames."""

    name: str
    mask: bpy.types.Mask | None  # None: ``mask_file``
    mask_file: str
    frames: tuple[int, ...]  # timeline frames, sorted


def keyed_frames(mask: bpy.types.Mask) -> set[int]:
    """Timeline frames where ``mask`` has a key (any F-curve of its action, slotted or legacy)."""
    animation = mask.animation_data
    action = animation.action if animation else None
    if action is None:
        return set()
    return {round(point.co[0]) for curve in _fcurves(action) for point in curve.keyframe_points}


def _fcurves(action: bpy.types.Action) -> list[Any]:
    # Blender 4.4 stores F-curves in layers → strips → channelbags (slotted actions); 5.0 removed
    # the flat ``action.fcurves`` that 4.2 has.
    if getattr(action, "layers", None):
        return [curve for layer in action.layers for strip in layer.strips
                for bag in getattr(strip, "channelbags", ()) for curve in bag.fcurves]
    return list(getattr(action, "fcurves", ()))


def object_frames(listed: Any, mask: bpy.types.Mask | None, current: int) -> tuple[int, ...]:
    """An object's keyframes: frames listed in ``listed`` (items with ``.frame``), keyed on ``mask``, else ``current``."""
    frames = {item.frame for item in listed} | (keyed_frames(mask) if mask is not None else set())
    return tuple(sorted(frames or {current}))


def drawn_objects(scene: bpy.types.Scene) -> list[DrawnObject]:
    """The objects to segment, from the panel's object list, else from the chosen Mask or image."""
    settings = scene.vos_matte
    if len(settings.objects):
        missing = [obj.name for obj in settings.objects if obj.mask is None]
        if missing:
            raise ClipError(f"Object {missing[0]} has no Mask: choose one or remove the object.")
        return [DrawnObject(obj.name, obj.mask, "", object_frames(obj.keyframes, obj.mask, scene.frame_current))
                for obj in settings.objects]
    if settings.mask_source == "MASK":
        if settings.mask is None:
            raise ClipError("Choose the Mask drawn around the object (or switch Mask from to Image).")
        return [DrawnObject("", settings.mask, "", object_frames((), settings.mask, scene.frame_current))]
    return [DrawnObject("", None, bpy.path.abspath(settings.mask_file), (scene.frame_current,))]
