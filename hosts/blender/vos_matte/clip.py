"""The target strip: which strip, where its frames come from, their size, the mask's source frame.

Timeline ↔ source frame arithmetic lives in :mod:`.timeline`.
"""

from __future__ import annotations

from pathlib import Path

import bpy

from . import timeline

#: The worker's image types (vos_core.media.ffmpeg_input.IMAGE_SUFFIXES, repeated: the add-on cannot import the core).
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".exr", ".dpx")


class ClipError(Exception):
    """The strip cannot be segmented; the message is for the user."""


def strips_of(scene: bpy.types.Scene) -> bpy.types.bpy_prop_collection:
    """Top-level strips (``strips`` since Blender 4.4, ``sequences`` before; not ``or``: empty is falsy)."""
    editor = scene.sequence_editor_create()
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def all_strips(scene: bpy.types.Scene) -> bpy.types.bpy_prop_collection:
    editor = scene.sequence_editor_create()
    return editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all


def target_strip(scene: bpy.types.Scene, name: str = "") -> bpy.types.Strip:
    """The strip called ``name``, else the active strip; it must be a movie or image sequence."""
    strip = all_strips(scene).get(name) if name else scene.sequence_editor_create().active_strip
    if strip is None:
        raise ClipError(f"No strip called {name!r}." if name else "Select a movie or image strip first.")
    if strip.type not in {"MOVIE", "IMAGE"}:
        raise ClipError(f"{strip.name} is a {strip.type.lower()} strip: pick a movie or image-sequence strip.")
    return strip


def source_path(strip: bpy.types.Strip) -> str:
    """Absolute path of what the worker should read: the movie file, or the image folder."""
    if strip.type == "MOVIE":
        return bpy.path.abspath(strip.filepath)
    folder = Path(bpy.path.abspath(strip.directory))
    # The worker reads every image of the folder in name order: that must be what the strip shows.
    from_folder = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
    if [element.filename for element in strip.elements] != from_folder:
        raise ClipError(f"{strip.name} must use all images of {folder}, in name order, and nothing else.")
    return str(folder)


def source_size(strip: bpy.types.Strip) -> tuple[int, int]:
    """(width, height) of the strip's source frames, before any transform."""
    element = strip.elements[0]
    if not element.orig_width:
        raise ClipError(f"Blender could not read the frames of {strip.name}.")
    return element.orig_width, element.orig_height


def source_frame(strip: bpy.types.Strip, timeline_frame: int) -> int:
    """0-based source frame shown at ``timeline_frame``; ClipError if the strip does not show one there."""
    source = timeline.source_frame(strip, timeline_frame)
    if source is None:
        left, right = timeline.handles(strip)
        raise ClipError(
            f"Frame {timeline_frame} is outside {strip.name} ({left}–{right - 1}): go to the frame where the mask is drawn."
        )
    return source
