"""The confidence track on the timeline: markers on low-confidence runs, "Go to suggested frame".

usage: python bpy_confidence.py SPEC.json  (SPEC: zip, movie, size, fps, runtime, workdir, mattes (the
run's PNG folder), events (the run's JSON-lines events, as the worker sends them), later (a second
run's events), calm (a third run's, with no low-confidence run)). A Mask is drawn, the job prepared, the worker stood in for (its mattes and events
replayed into jobrun.finish), then the button is pressed. Prints ``RESULT {json}``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import bpy
from bpy_common import answer, start, strips_of, trim

spec, ext, scene = start(sys.argv[1])
work = Path(spec["workdir"])
scene.vos_matte.output_dir = str(work / "mattes")
movie = strips_of(scene).new_movie("clip", spec["movie"], 1, 5)  # starts on timeline frame 5
scene.sequence_editor.active_strip = movie
trim(movie, soft_start=1)
zero = ext.timeline.source_zero_frame(movie)

mask = bpy.data.masks.new("swan")
spline = mask.layers.new(name="outline").splines.new()
spline.points.add(3)
for point, co in zip(spline.points, ((0.3, 0.4), (0.5, 0.4), (0.5, 0.6), (0.3, 0.6))):
    point.co, point.handle_type = co, "VECTOR"
spline.use_cyclic = True
scene.vos_matte.mask = mask
scene.frame_current = zero + 1
before = bpy.ops.vos_matte.goto_suggested.poll()

prepared = ext.jobrun.prepare(bpy.context)
shutil.copytree(spec["mattes"], prepared.folder(""), dirs_exist_ok=True)  # what the worker wrote
message = ext.jobrun.finish(bpy.context, prepared, 0, spec["events"], [])
markers = sorted((m.name, m.frame) for m in scene.timeline_markers)
scene.frame_set(zero + 1)
pressed = bpy.ops.vos_matte.goto_suggested()
playhead = scene.frame_current

# A second run replaces the first run's markers with its own.
ext.confidence_ui.show(scene, movie, spec["later"])
later = sorted((m.name, m.frame) for m in scene.timeline_markers)
scene.frame_set(zero + 1)
bpy.ops.vos_matte.goto_suggested()

# A run with no low-confidence frame: nothing to correct, whatever frame was least confident.
ext.confidence_ui.show(scene, movie, spec["calm"])
calm = {"markers": [m.name for m in scene.timeline_markers], "poll": bpy.ops.vos_matte.goto_suggested.poll(),
        "verdict": list(ext.confidence_ui.verdict(scene))}

answer({"zero": zero, "message": message, "markers": markers, "poll_before_run": before, "pressed": list(pressed),
        "playhead": playhead, "later": later, "later_playhead": scene.frame_current, "calm": calm,
        "panel": hasattr(bpy.types, "VOSMATTE_PT_confidence")})
