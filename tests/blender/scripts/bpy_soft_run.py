"""The panel's Edge setting through a blocking Run, Soft then Hard, on a DAVIS clip; renders of the first frames.

usage: python bpy_soft_run.py SPEC.json (SPEC: zip, clip, mask_file, runtime, weights, workdir, fps, size,
finetune_iters, feather). Prints ``RESULT {json}``: per edge, the job the panel made, a copy of
its mattes, renders.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import bpy
from bpy_common import answer, preferences, render, start

spec, ext, scene = start(sys.argv[1])
work = Path(spec["workdir"])
prefs = preferences()
prefs.weights, prefs.device = spec["weights"], "cpu"
movie = ext.clip.strips_of(scene).new_movie("blackswan", spec["clip"], 1, 1)
scene.sequence_editor.active_strip = movie
scene.frame_current = ext.timeline.source_zero_frame(movie)  # the mask is drawn on source frame 0
settings = scene.vos_matte
settings.mask_source, settings.mask_file = "FILE", spec["mask_file"]
settings.preset, settings.finetune_iters = "fast", spec["finetune_iters"]
settings.feather = spec["feather"]
bpy.ops.wm.save_as_mainfile(filepath=str(work / "edit.blend"))

runs = {}
for edge in ("soft", "hard"):
    settings.edge = edge
    prepared = ext.jobrun.prepare(bpy.context)  # the job the Run operator is about to hand the worker
    job = json.loads(Path(prepared.job_path).read_text())
    shutil.rmtree(prepared.workdir)
    assert bpy.ops.vos_matte.segment() == {"FINISHED"}
    matte = ext.matte.matte_strip(scene, movie)
    first = ext.timeline.handles(movie)[0]
    renders = render(scene, range(first, first + 3), str(work / f"render_{edge}_"))
    kept = shutil.copytree(bpy.path.abspath(matte.directory), work / f"mattes_{edge}")  # the next run replaces them
    runs[edge] = {"job": job, "matte_folder": str(kept),
                  "renders": renders, "sources": {f: ext.clip.source_frame(movie, f) for f in renders}}
answer(runs)
