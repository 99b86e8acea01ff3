"""Turning the panel's settings into a worker job, and following a running worker's events.

The operators stay thin: they call :func:`prepare`, then run the job blocking or watch a
:class:`Run` from a modal timer, then call :func:`finish`.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bpy

from . import confidence_ui, runtime, timeline
from ._plugin.client import CANCEL_GRACE_S, WorkerProcess, run_blocking
from ._plugin.jobs import OBJECT_PLACEHOLDER, Job, JobError, MaskRef, ObjectSpec, Output, as_file_name
from .clip import ClipError, source_frame, source_path, source_size, target_strip
from .keyframes import DrawnObject, drawn_objects
from .matte import apply_matte, remove_matte
from .rasterize import rasterize_mask
from .settings import preferences


@dataclass(frozen=True)
class Prepared:
    """A job written to disk, ready for ``python -m plugin.worker``; ``workdir`` is removed by :func:`finish`.

    ``output`` is the strip's matte folder; with several objects each has a sub-folder named after it.
    """

    strip_name: str
    python: str
    job_path: str
    output: str
    workdir: str
    objects: tuple[str, ...] = ("",)  # object names; "" = the only object, whose mattes go to ``output`` itself

    def folder(self, name: str) -> str:
        """Where the worker writes object ``name``'s mattes."""
        return str(Path(self.output) / name) if name else self.output


def _output_root(settings: Any) -> Path:
    if settings.output_dir.startswith("//") and not bpy.data.filepath:
        raise ClipError("Save the .blend first (mattes go beside it), or choose an absolute matte folder.")
    return Path(bpy.path.abspath(settings.output_dir))


def keyframe_specs(scene: bpy.types.Scene, strip: bpy.types.Strip, drawn: DrawnObject, workdir: str, obj_id: int) -> list[MaskRef]:
    """Rasterise ``drawn``'s mask on each of its keyframes inside ``strip`` to ``workdir``; ClipError if none is."""
    size = source_size(strip)
    refs = []
    for frame in drawn.frames:
        source = timeline.source_frame(strip, frame)
        if source is None:
            continue  # keyed outside this strip (a Mask may serve several strips)
        if drawn.mask is None:
            refs.append(MaskRef(source, drawn.mask_file))
            continue
        path = str(Path(workdir) / f"mask_{obj_id}_{source:05d}.png")
        rasterize_mask(drawn.mask, *size, frame, path)
        refs.append(MaskRef(source, path))
    if not refs:
        left, right = timeline.handles(strip)
        raise ClipError(f"{drawn.name or 'The mask'} is drawn on frame(s) {', '.join(map(str, drawn.frames))}, none "
                        f"inside {strip.name} ({left}–{right - 1}): go to a frame of the strip and add a keyframe there.")
    return refs


def refine_overrides(settings: Any) -> dict[str, float]:
    """The panel's soft-edge controls as the job's ``refine`` (vos_core.matte.alpha.RefineSettings fields)."""
    return {"feather": settings.feather, "contrast": settings.contrast, "shift_edge": settings.shift_edge,
            "smooth": settings.smooth, "chatter": settings.reduce_chatter}


def prepare(context: bpy.types.Context, strip_name: str = "") -> Prepared:
    """Validate the settings, rasterise every object's keyframes and write the job; ClipError says what is wrong.

    The strip's trims (handles) give the range of source frames segmented.
    """
    scene, settings, prefs = context.scene, context.scene.vos_matte, preferences(context)
    strip = target_strip(scene, strip_name)
    python = runtime.python_in(prefs.runtime())
    if not python.exists():
        raise ClipError(f"No runtime Python at {python}: press Install runtime or Check runtime in the preferences.")
    source_frame(strip, scene.frame_current)  # the editor is looking at the strip: say so now if not
    output = _output_root(settings) / as_file_name(strip.name)
    drawn = drawn_objects(scene)
    if drawn[0].mask is None and not Path(drawn[0].mask_file).is_file():
        raise ClipError(f"Mask image {drawn[0].mask_file or '(none)'} does not exist.")
    # An unnamed object stays unnamed (the job labels it by its id).
    names = [as_file_name(obj.name) if obj.name else "" for obj in drawn]
    several = len(drawn) > 1
    workdir = tempfile.mkdtemp(prefix="vos_matte_")
    try:
        objects = [ObjectSpec(n, tuple(keyframe_specs(scene, strip, obj, workdir, n)), name)
                   for n, (obj, name) in enumerate(zip(drawn, names), 1)]
        left, right = timeline.handles(strip)
        job = Job.from_dict(Job(
            input=source_path(strip),
            outputs=(Output("matte", str(output / OBJECT_PLACEHOLDER) if several else str(output)),),
            objects=tuple(objects),
            start=timeline.source_frame(strip, left),
            end=timeline.source_frame(strip, right - 1),
            preset=settings.preset,
            # None keeps the preset's value (SegmentConfig.with_overrides ignores it)
            settings={"finetune_iters": settings.finetune_iters or None, "threshold": settings.threshold},
            weights=bpy.path.abspath(prefs.weights) if prefs.weights else None,
            device=None if prefs.device == "AUTO" else prefs.device,
            resize_mask=True,
            refine_mask=settings.refine_edges,
            # 8-bit mattes (the job's default): Blender 5.2+ linearises 16-bit PNGs as sRGB.
            edge=settings.edge,
            refine=refine_overrides(settings) if settings.edge == "soft" else {},
        ).to_dict())  # validated as every host's jobs are
        job_path = Path(workdir) / "job.json"
        job.save(job_path)
    except JobError as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        raise ClipError(str(exc)) from None
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)  # a job that cannot be written leaves nothing behind
        raise
    return Prepared(strip.name, str(python), str(job_path), str(output), workdir,
                    tuple(names) if several else ("",))


def _worker_options(prepared: Prepared) -> dict[str, Any]:
    # ``-m`` would put the cwd first on sys.path: clean_env sets PYTHONSAFEPATH, and the cwd is the job's private folder
    return {"env": runtime.clean_env(), "cwd": prepared.workdir}


def _not_started(prepared: Prepared, exc: OSError) -> ClipError:
    shutil.rmtree(prepared.workdir, ignore_errors=True)
    return ClipError(f"The runtime Python {prepared.python} cannot be started ({exc.strerror}): "
                     "press Check Runtime in the preferences.")


def start(prepared: Prepared) -> WorkerProcess:
    """Start the worker for the modal Run; follow it with :class:`Run`. ClipError (job removed) if it cannot start."""
    try:
        return WorkerProcess(prepared.python, prepared.job_path, **_worker_options(prepared))
    except OSError as exc:
        raise _not_started(prepared, exc) from None


def run_to_end(prepared: Prepared) -> tuple[int, list[dict[str, Any]]]:
    """Run the worker blocking (headless/batch); its exit status and events."""
    try:
        code, events = run_blocking(prepared.python, prepared.job_path, **_worker_options(prepared))
    except OSError as exc:
        raise _not_started(prepared, exc) from None
    return code, list(events)


def _seconds(value: float | None) -> str:
    if value is None:
        return "…"
    return f"{value:.0f} s" if value < 90 else f"{value / 60:.0f} min"


@dataclass
class Run:
    """What the panel shows about the worker now running (at most one per Blender session)."""

    prepared: Prepared
    worker: WorkerProcess
    events: list[dict[str, Any]] = field(default_factory=list)
    factor: float = 0.0
    text: str = "Starting the runtime…"
    cancelled: bool = False

    def cancel(self) -> None:
        """Stop the worker: SIGTERM, then SIGKILL if it has not exited after the client's grace period."""
        if not self.cancelled:
            self.cancelled = True
            self.text = "Cancelling…"
            self.worker.cancel()

    def update(self) -> bool:
        """Take the worker's new events; True if anything changed."""
        new = self.worker.drain()
        for event in new:
            if event["event"] == "started":
                self.text = f"Loading the network on {event['device']}…"
            elif event["event"] == "progress":
                total = event["total"] or 0
                self.factor = event["done"] / total if total else 0.0
                what = "Learning the object: step" if event["stage"] == "finetune" else "Frame"
                self.text = f"{what} {event['done']}/{total or '?'} · ETA {_seconds(event['eta_s'])}"
        self.events.extend(new)
        return bool(new)


#: The run in progress, read by the panel; set and cleared by the modal operator.
CURRENT: Run | None = None


def stop_current() -> None:
    """Stop the run in progress and remove its job, waiting at most the grace period (add-on disabled, Blender quits).

    The worker runs in its own session, so nothing else would stop it when Blender goes.
    """
    global CURRENT
    run, CURRENT = CURRENT, None
    if run is None:
        return
    run.cancel()
    try:
        run.worker.wait(timeout=CANCEL_GRACE_S + 1)
    except subprocess.TimeoutExpired:
        run.worker.kill()
    _remove_leftovers(run.prepared)


def _remove_leftovers(prepared: Prepared) -> None:
    shutil.rmtree(prepared.workdir, ignore_errors=True)
    # a killed worker cannot remove its partial matte folders (plugin/outputs.py's ``.NAME.partial``)
    for name in prepared.objects:
        partial = Path(prepared.folder(name))
        shutil.rmtree(partial.with_name(f".{partial.name}.partial"), ignore_errors=True)


def finish(context: bpy.types.Context, prepared: Prepared, code: int, events: list[dict[str, Any]], stderr: list[str],
           cancelled: bool = False) -> str:
    """Apply the mattes of a finished worker and return a message; ClipError if it failed or was cancelled.

    ``cancelled``: the user cancelled, so a worker that had to be killed (SIGKILL) counts as cancelled too.
    """
    done = next((e for e in events if e["event"] == "done"), None)
    if done is None:
        _remove_leftovers(prepared)
        error = next((e for e in events if e["event"] == "error"), None)
        if error is not None:
            raise ClipError(error["message"])
        if cancelled or code in (130, 143) or any(e["event"] == "cancelled" for e in events):
            raise ClipError("Cancelled: no matte was written.")
        raise ClipError(f"The runtime stopped (exit {code}): {stderr[-1] if stderr else 'no message'}")
    shutil.rmtree(prepared.workdir, ignore_errors=True)
    scene = context.scene
    strip = target_strip(scene, prepared.strip_name)
    relative = scene.vos_matte.output_dir.startswith("//")
    remove_matte(scene, strip)  # a re-run may have other objects than the last one
    for n, name in enumerate(prepared.objects):
        apply_matte(scene, strip, prepared.folder(name), relative=relative, name=name, active=n == 0)
    confidence_ui.show(scene, strip, events)  # markers on low-confidence runs, the suggested frame
    what = f"{len(prepared.objects)} objects" if len(prepared.objects) > 1 else "Matte"
    return f"{what} for {strip.name}: {done['frames']} frames in {done['seconds']:.1f} s"
