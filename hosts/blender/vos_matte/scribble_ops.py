"""Scribbles in the Sequencer: a Mask whose layers ``foreground`` and ``background`` hold a few strokes
(thin shapes drawn over the object and over what is not) becomes the object's mask image.

Each layer is rasterised on its own (the others hidden) at the strip's source size, and the runtime's
``vos-matte scribble`` (GrabCut seeded by the strokes) writes the mask; the panel then uses that
image as the mask for Run.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import bpy

from ._plugin.jobs import as_file_name
from .clip import ClipError, source_frame, source_path, source_size
from .core_cli import run_cli
from .operators import _MatteOperator
from .rasterize import rasterize_mask

LAYERS = ("foreground", "background")


def rasterize_layer(mask: bpy.types.Mask, layer_name: str, size: tuple[int, int], frame: int, path: str) -> None:
    """Rasterise only layer ``layer_name`` of ``mask`` (see rasterize.rasterize_mask) to ``path``."""
    hidden = {layer.name: layer.hide_render for layer in mask.layers}
    try:
        for layer in mask.layers:
            layer.hide_render = layer.name != layer_name
        rasterize_mask(mask, *size, frame, path)
    finally:
        for layer in mask.layers:
            layer.hide_render = hidden[layer.name]


def _mask_folder(settings: bpy.types.PropertyGroup) -> Path:
    """Beside the mattes when their folder resolves (saved .blend or absolute), else a temporary folder."""
    if settings.output_dir.startswith("//") and not bpy.data.filepath:
        return Path(tempfile.mkdtemp(prefix="vos_matte_scribble_"))
    return Path(bpy.path.abspath(settings.output_dir))


class VOSMATTE_OT_scribble(_MatteOperator, bpy.types.Operator):
    """Turn the Mask's "foreground" and "background" strokes on this frame into the object's mask (GrabCut)"""

    bl_idname = "vos_matte.scribble"
    bl_label = "Mask from Scribbles"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads bl_options as a set

    def apply(self, context: bpy.types.Context, strip: bpy.types.Strip) -> set[str]:
        scene, settings = context.scene, context.scene.vos_matte
        mask = settings.mask
        names = {layer.name for layer in mask.layers} if mask is not None else set()
        if "foreground" not in names:
            self.report({"ERROR"}, 'Choose a Mask with a layer named "foreground" (and optionally "background").')
            return {"CANCELLED"}
        try:
            frame = source_frame(strip, scene.frame_current)
            size = source_size(strip)
            folder = _mask_folder(settings)
            folder.mkdir(parents=True, exist_ok=True)
            stem = as_file_name(strip.name)
            strokes = []
            with tempfile.TemporaryDirectory(prefix="vos_matte_strokes_") as tmp:
                for name in (n for n in LAYERS if n in names):
                    strokes.append(str(Path(tmp) / f"{name}.png"))
                    rasterize_layer(mask, name, size, scene.frame_current, strokes[-1])
                output = folder / f"{stem}_scribble_{frame:05d}.png"
                run_cli(context, "scribble", source_path(strip), *strokes, "--frame", str(frame), "-o", str(output))
        except ClipError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        settings.mask_source, settings.mask_file = "FILE", str(output)
        self.report({"INFO"}, f"Mask from scribbles: {output}")
        return {"FINISHED"}


CLASSES = (VOSMATTE_OT_scribble,)
