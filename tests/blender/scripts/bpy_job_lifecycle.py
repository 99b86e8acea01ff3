"""A run's life around the worker, with a fake runtime: Esc routing in the modal Run, cancelling a worker
that ignores SIGTERM, a worker that cannot start, a job that cannot be written, disabling the add-on and
quitting with a run in progress.

usage: python bpy_job_lifecycle.py ZIP FAKE_PYTHON WORKDIR
FAKE_PYTHON prints a ``started`` event and sleeps; with FAKE_WORKER_STUBBORN=1 it ignores SIGTERM.
Prints ``RESULT {json}``; the last run is deliberately left running when the script ends (Blender quits).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import bpy
from bpy_common import PACKAGE, answer, install, preferences

ext = install(sys.argv[1])
fake_python, work = sys.argv[2], Path(sys.argv[3])


def prepared(python: str = fake_python):
    workdir = tempfile.mkdtemp(prefix="vos_matte_", dir=work)
    job = Path(workdir) / "job.json"
    job.write_text("{}")
    return ext.jobrun.Prepared("clip", python, str(job), str(work / "mattes" / "clip"), workdir)


def started(stubborn: bool):
    os.environ["FAKE_WORKER_STUBBORN"] = "1" if stubborn else ""
    job = prepared()
    run = ext.jobrun.Run(job, ext.jobrun.start(job))
    deadline = time.monotonic() + 20
    while not run.events and time.monotonic() < deadline:
        time.sleep(0.05)
        run.update()
    return run


# --- Esc and other keys reaching the modal Run (called directly: background mode has no event loop)
class FakeWorker:
    cancels = 0

    def drain(self):
        return []

    def poll(self):
        return None

    def cancel(self):
        self.cancels += 1


def area(kind: str, x: int, regions: tuple[str, ...]):
    return SimpleNamespace(type=kind, regions=[SimpleNamespace(type=r, x=x, y=100 * i, width=100, height=100)
                                               for i, r in enumerate(regions)])


context = SimpleNamespace(
    window=SimpleNamespace(screen=SimpleNamespace(areas=[area("SEQUENCE_EDITOR", 0, ("WINDOW", "UI")),
                                                         area("PROPERTIES", 200, ("WINDOW",))])),
    window_manager=SimpleNamespace(event_timer_remove=lambda timer: None),
    workspace=SimpleNamespace(status_text_set=lambda text: None), screen=SimpleNamespace(areas=[]),
)
modal = ext.operators.VOSMATTE_OT_segment.modal
keys = {}
fake = FakeWorker()
ext.jobrun.CURRENT = ext.jobrun.Run(prepared(), fake)
for name, kind, x, y in (("esc_over_properties", "ESC", 250, 50), ("esc_over_sequencer_sidebar", "ESC", 50, 150),
                         ("key_over_sequencer", "A", 50, 50)):
    returned = modal(SimpleNamespace(_timer=None), context, SimpleNamespace(type=kind, value="PRESS", mouse_x=x, mouse_y=y))
    keys[name] = [sorted(returned), fake.cancels]
bpy.ops.vos_matte.cancel()  # the panel's Cancel button
after_button = modal(SimpleNamespace(_timer=None), context, SimpleNamespace(type="A", value="PRESS", mouse_x=250, mouse_y=50))
keys["key_after_cancel_button"] = [sorted(after_button), fake.cancels]
esc = modal(SimpleNamespace(_timer=None), context, SimpleNamespace(type="ESC", value="PRESS", mouse_x=50, mouse_y=50))
keys["esc_over_sequencer"] = [sorted(esc), fake.cancels]
ext.jobrun.CURRENT = None

# --- Cancel a worker that ignores SIGTERM: killed after the grace period, reported as cancelled
run = started(stubborn=True)
partial = Path(run.prepared.output).with_name(".clip.partial")  # as plugin/outputs.py names the folder being written
partial.mkdir(parents=True)
run.cancel()
begin = time.monotonic()
while run.worker.poll() is None and time.monotonic() - begin < 30:
    time.sleep(0.1)
    run.update()
stubborn = {"seconds": time.monotonic() - begin, "code": run.worker.poll()}
try:
    stubborn["message"] = ext.jobrun.finish(bpy.context, run.prepared, run.worker.wait(5), run.events, [], run.cancelled)
except ext.clip.ClipError as exc:
    stubborn["message"] = str(exc)
stubborn["workdir_left"] = Path(run.prepared.workdir).exists()
stubborn["partial_left"] = partial.exists()

# --- A runtime that cannot be started: a sentence, and no job folder left behind
broken = prepared(python=str(work / "not-a-python"))
Path(broken.python).write_text("")  # exists, not executable
try:
    ext.jobrun.start(broken)
    not_started = "started"
except ext.clip.ClipError as exc:
    not_started = str(exc)
not_started_left = Path(broken.workdir).exists()

# --- A job that cannot be written (an image strip showing one image of its folder): no job folder left
folder = work / "frames"
folder.mkdir()
for name in ("0.png", "1.png"):
    image = bpy.data.images.new(name, 4, 4)
    image.filepath_raw, image.file_format = str(folder / name), "PNG"
    image.save()
scene = bpy.context.scene
ext.clip.strips_of(scene).new_image("part", str(folder / "0.png"), 1, 1)
preferences().runtime_path = fake_python
scene.vos_matte.mask_source, scene.vos_matte.mask_file = "FILE", str(folder / "0.png")
scene.vos_matte.output_dir, scene.frame_current = str(work / "mattes"), 1
tempfile.tempdir = str(work / "private-tmp")
Path(tempfile.tempdir).mkdir()
try:
    ext.jobrun.prepare(bpy.context, "part")
    not_written = "prepared"
except ext.clip.ClipError as exc:
    not_written = str(exc)
not_written_left = [p.name for p in Path(tempfile.tempdir).iterdir()]
tempfile.tempdir = None

# --- Disabling the add-on stops the run in progress
run = started(stubborn=False)
ext.jobrun.CURRENT = run
bpy.ops.preferences.addon_disable(module=PACKAGE)
disabled = {"code": run.worker.poll(), "workdir_left": Path(run.prepared.workdir).exists()}

# --- Quitting Blender with a run in progress: pytest checks this worker is gone after the script ends
bpy.ops.preferences.addon_enable(module=PACKAGE)
ext = sys.modules[PACKAGE]
run = started(stubborn=False)
ext.jobrun.CURRENT = run
answer({
    "keys": keys, "stubborn": stubborn, "not_started": not_started, "not_started_left": not_started_left,
    "not_written": not_written, "not_written_left": not_written_left,
    "disabled": disabled, "quit_pid": run.worker.proc.pid, "quit_workdir": run.prepared.workdir,
})
