"""The add-on's runtime check and Run on broken runtimes. usage: python bpy_runtime_check.py ZIP GOOD_RUNTIME IMAGE"""

from __future__ import annotations

import sys

import bpy
from bpy_common import PACKAGE, answer, install, preferences

ext = install(sys.argv[1])
prefs = preferences()
reports = {}
for name, path in (("missing", "/nonexistent/runtime"), ("no_core", sys.executable), ("good", sys.argv[2])):
    prefs.runtime_path = path
    report = ext.settings.check(bpy.context)
    reports[name] = {"ok": report.ok, "summary": report.summary()}

prefs.runtime_path = "/nonexistent/runtime"
ext.clip.strips_of(bpy.context.scene).new_image("img", sys.argv[3], 1, 1)
bpy.context.scene.vos_matte.mask_source = "FILE"
bpy.context.scene.vos_matte.mask_file = sys.argv[3]
try:
    refused = f"not refused: {bpy.ops.vos_matte.segment(strip='img')}"
except RuntimeError as exc:  # bpy.ops raises the operator's ERROR report in scripts
    refused = str(exc)
# Install Runtime runs the installer and core wheel shipped in the zip, with Blender's own Python
install = ext.runtime.install_command("/tmp/runtime-target")
shipped = install[1].endswith("runtime/runtime_env.py") and install[install.index("--core") + 1].endswith(".whl")

bpy.ops.preferences.addon_disable(module=PACKAGE)  # unregister must undo register completely
clean = not hasattr(bpy.types.Scene, "vos_matte") and not hasattr(bpy.types, "VOSMATTE_PT_panel")
answer({"reports": reports, "run_with_missing_runtime": refused, "installer_shipped": shipped, "unregistered": clean})
