"""Rasterising a Mask datablock to a PNG exactly as Blender draws it (feather, layers, blend modes)."""

from __future__ import annotations

from array import array

import bpy

from . import timeline
from .clip import strips_of


def rasterize_mask(mask: bpy.types.Mask, width: int, height: int, frame: int, path: str) -> None:
    """Write ``mask`` as seen at scene frame ``frame`` to ``path``: 8-bit grey PNG, ``width``×``height``.

    Renders a temporary scene holding only a mask strip, so the result is Blender's own raster of
    every layer and spline, in the same normalised frame (longer side = 1, centred) the editor uses.
    """
    scene = bpy.data.scenes.new("vos_matte_mask_raster")
    try:
        render = scene.render
        render.resolution_x, render.resolution_y, render.resolution_percentage = width, height, 100
        render.use_sequencer = True
        render.filepath = path
        render.image_settings.file_format = "PNG"
        render.image_settings.color_mode = "BW"
        render.image_settings.color_depth = "8"
        scene.view_settings.view_transform = "Standard"  # the default (AgX/Filmic) would grade grey edges
        # A mask strip evaluates its mask at mask.frame_start + (frame - strip start): place the strip so
        # that this is ``frame`` (held at the ends of an animated mask's range).
        local = min(max(frame, mask.frame_start), mask.frame_end)
        strip = strips_of(scene).new_mask("mask", mask, 1, frame - (local - mask.frame_start))
        left, right = timeline.handles(strip)
        timeline.set_handles(strip, left, max(right, frame + 1))
        scene.frame_start = scene.frame_end = scene.frame_current = frame
        bpy.ops.render.render(write_still=True, scene=scene.name)
    finally:
        bpy.data.scenes.remove(scene)
    _clear_stray_corner(path)


def _clear_stray_corner(path: str) -> None:
    """Blank the top-right pixel of the PNG at ``path`` where it is set and none of its neighbours is.

    Blender 4.2's mask strip sometimes leaves the last pixel of its buffer (the image's top-right
    corner) uninitialised: about one render in ten on a busy machine, never on 4.5. One stray
    pixel there would stretch the keyframe's box, and with it every crop, across the frame. A
    drawn shape covering the corner sets its neighbours too, so it is left as drawn.
    """
    image = bpy.data.images.load(path, check_existing=False)
    try:
        width, height = image.size
        # One read of the whole buffer: each index into image.pixels would convert all of it again.
        pixels = array("f", [0.0]) * (4 * width * height)
        image.pixels.foreach_get(pixels)
        last = 4 * (width * height - 1)  # bottom row first: the last pixel is the top-right corner
        below = last - 4 * width
        if pixels[last] > 0 and not any((pixels[last - 4], pixels[below], pixels[below - 4])):
            pixels[last:last + 3] = array("f", [0.0, 0.0, 0.0])
            image.pixels.foreach_set(pixels)
            image.save()
    finally:
        bpy.data.images.remove(image)
