"""Helpers for scripts run by a bpy venv's python (Blender as a module), not by pytest."""

from __future__ import annotations

import json
import sys

import bpy

PACKAGE = "bl_ext.user_default.vos_matte"


def install(zip_path: str):
    """Install and enable the extension zip (BLENDER_USER_RESOURCES points at a temp dir); return its module."""
    result = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
    assert result == {"FINISHED"}, result
    assert PACKAGE in bpy.context.preferences.addons, list(bpy.context.preferences.addons.keys())
    return sys.modules[PACKAGE]


def preferences():
    return bpy.context.preferences.addons[PACKAGE].preferences


def answer(data: dict) -> None:
    """The script's result for pytest: one JSON line, last on stdout."""
    print("RESULT " + json.dumps(data), flush=True)
