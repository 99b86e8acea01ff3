"""Helpers for scripts run by a bpy venv's python (Blender as a module), not by pytest."""

from __future__ import annotations

import json
import sys
import warnings

import bpy

PACKAGE = "bl_ext.user_default.vos_matte"


def install(zip_path: str):
    """Install and enable the extension zip (BLENDER_USER_RESOURCES points at a temp dir); return its module.

    Any warning raised from the add-on's own modules is an error from here on: a deprecated Blender
    API used by our code fails the test on the release that deprecates it.
    """
    warnings.filterwarnings("error", module=rf"{PACKAGE.replace('.', '[.]')}([.]|$)")
    result = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
    assert result == {"FINISHED"}, result
    assert PACKAGE in bpy.context.preferences.addons, list(bpy.context.preferences.addons.keys())
    return sys.modules[PACKAGE]


def preferences():
    return bpy.context.preferences.addons[PACKAGE].preferences


def answer(data: dict) -> None:
    """The script's result for pytest: one JSON line, last on stdout."""
    print("RESULT " + json.dumps(data), flush=True)


def strips_of(scene: bpy.types.Scene):
    editor = scene.sequence_editor_create()
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def set_up_render(scene: bpy.types.Scene, size: tuple[int, int], fps: int) -> None:
    """Pixel-faithful RGBA PNG renders of the sequencer at ``size`` (Standard view: no AgX grading)."""
    scene.render.fps = fps
    scene.render.resolution_x, scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.view_settings.view_transform = "Standard"
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGBA"


def trim(strip, hard_start: int = 0, hard_end: int = 0, soft_start: int = 0, soft_end: int = 0) -> None:
    """Hard-trim then soft-trim ``strip`` the way a user would, with this release's property names.

    What the timeline then shows differs between releases (5.2 changed hard trims): the tests take
    the expected frames from renders, never from these numbers.
    """
    if "content_trim_start" in strip.bl_rna.properties:  # Blender 5.2+
        strip.content_trim_start, strip.content_trim_end = hard_start, hard_end
        strip.left_handle_offset, strip.right_handle_offset = soft_start, soft_end
    else:
        strip.animation_offset_start, strip.animation_offset_end = hard_start, hard_end
        strip.frame_offset_start, strip.frame_offset_end = soft_start, soft_end


def render(scene: bpy.types.Scene, frames: range, prefix: str) -> dict[int, str]:
    """Render each timeline frame of ``frames`` to ``prefix``NNN.png; {frame: path}."""
    out = {}
    for frame in frames:
        scene.frame_set(frame)
        scene.render.filepath = f"{prefix}{frame:03d}.png"
        bpy.ops.render.render(write_still=True, scene=scene.name)
        out[frame] = scene.render.filepath
    return out


def start(spec_path: str):
    """A script's usual start: read SPEC.json, install the extension (runtime = spec's), set up the render.

    Returns ``(spec, extension module, scene)``.
    """
    from pathlib import Path

    spec = json.loads(Path(spec_path).read_text())
    ext = install(spec["zip"])
    preferences().runtime_path = spec["runtime"]
    scene = bpy.context.scene
    set_up_render(scene, spec["size"], spec["fps"])
    return spec, ext, scene
