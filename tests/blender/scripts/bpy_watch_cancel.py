"""What the modal Run does, minus Blender's event loop (absent in background mode): start the worker,
follow its events into the panel's progress text, cancel, finish. usage: python bpy_watch_cancel.py SPEC.json
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import bpy
from bpy_common import answer, install, preferences

spec = json.loads(Path(sys.argv[1]).read_text())
work = Path(spec["workdir"])
ext = install(spec["zip"])
prefs = preferences()
prefs.runtime_path, prefs.weights, prefs.device = spec["runtime"], spec["weights"], "cpu"
scene = bpy.context.scene
movie = ext.clip.strips_of(scene).new_movie("clip", spec["clip"], 1, 1)
scene.sequence_editor.active_strip = movie
scene.frame_current = 1
settings = scene.vos_matte
settings.mask_source, settings.mask_file, settings.finetune_iters = "FILE", spec["mask_file"], 500
settings.refine_edges = True  # GrabCut runs in the worker before fine-tuning starts
bpy.ops.wm.save_as_mainfile(filepath=str(work / "edit.blend"))

prepared = ext.jobrun.prepare(bpy.context)
job = json.loads(Path(prepared.job_path).read_text())
run = ext.jobrun.Run(prepared, ext.jobrun.start(prepared))
shown = [(run.factor, run.text)]
deadline = time.monotonic() + 120
while sum(e["event"] == "progress" for e in run.events) < 2 and run.worker.poll() is None and time.monotonic() < deadline:
    time.sleep(0.2)
    if run.update():
        shown.append((run.factor, run.text))
run.cancel()
code = run.worker.wait(timeout=60)
run.update()
try:
    message = ext.jobrun.finish(bpy.context, prepared, code, run.events, list(run.worker.stderr_tail), run.cancelled)
except ext.clip.ClipError as exc:
    message = str(exc)
answer({
    "job": job, "code": code, "events": run.events, "shown": shown, "message": message,
    # iterdir, not glob: the worker's partial folder is a dot-folder
    "output_left": sorted(p.name for p in Path(prepared.output).parent.iterdir()) if Path(prepared.output).parent.exists() else [],
    "workdir_left": Path(prepared.workdir).exists(), "matte_strip": ext.matte.matte_strip(scene, movie) is not None,
})
