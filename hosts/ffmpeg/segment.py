"""``vos-matte segment``: one clip in, any number of matte, alpha, composite and index-map outputs out.

Each object is drawn on one or more frames (keyframes); every frame is segmented from the nearest
keyframe, forward and backward, and a keyframe's frame comes out as drawn, so drawing the object
again where the matte went wrong is how a result is corrected. Several objects each get their own
outputs ({object} in the path). --start/--end segment only that range; outputs still span the
whole clip (empty mattes outside the range) so they line up with it.

The clip is decoded by ffmpeg (vos_core.media.frames.VideoSource, the decoder every host uses); each
output is its own ffmpeg process fed the mattes as they come, so memory does not grow with clip length.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, closing
from typing import TYPE_CHECKING, Any

import numpy as np

from .formats import UsageError, choices
from .job_options import add_input_options, add_mask_options, add_output_options, job_fields
from .options import add_model_options, add_refine_options

if TYPE_CHECKING:
    from plugin.confidence_report import ConfidenceReport
    from plugin.jobs import Job

#: Index maps must come back exactly: PNG folders and FFV1 are lossless, ProRes is not.
INDEX_SUFFIXES = ("", ".mkv")
EXAMPLES = """examples:
  vos-matte segment clip.mp4 --mask first.png -o matte.mkv
  vos-matte segment clip.mp4 --mask 0:swan.png --mask 80:swan_fix.png -o matte.mkv   # a correction on frame 80
  vos-matte segment clip.mp4 --object swan --mask 0:swan.png --object dog --mask 12:dog.png \\
      -o 'mattes/{object}.mkv' --index ids/                                          # two objects, an id map
  vos-matte segment clip.mp4 --object rider --object bike --index-mask 0:anno.png \\
      -o 'mattes/{object}/'                                                            # ids 1, 2 from one PNG
  vos-matte segment clip.mp4 --mask 120:m.png --start 100 --end 200 --alpha cut.mov  # only frames 100-200
"""

EventSink = Callable[[str, dict], None]


def failure_fields(exc: Exception) -> dict[str, str]:
    """The ``error`` event's ``{"message", "kind"}`` for any exception that ended a clip or command."""
    from plugin.events import error_fields

    return {"message": str(exc), "kind": "UsageError"} if isinstance(exc, UsageError) else error_fields(exc)


def start_segmenting(
    source: Iterable[np.ndarray], objects: dict, config, *, start: int, end: int | None, preset: str,
    weights: str | None, device: str | None, report: EventSink, cancelled: Callable[[], bool],
    frames: int | None = None, clip: str | None = None,
) -> Iterator:
    """Pick the device, announce ``started`` (``frames``: how many will come out, if known) and
    return plugin.pipeline.segment_stream's generator of FrameOut.

    With ``clip`` (the input's path) fitted networks are kept in plugin.fit_cache's folder, so
    running again after adding a correction keyframe fine-tunes only briefly.
    """
    from plugin.device import describe, pick_device
    from plugin.fit_cache import FitCache
    from plugin.pipeline import segment_stream

    fit_cache = FitCache() if clip else None
    chosen = pick_device(device)
    report("started", {"device": describe(chosen, config.precision), "frames": frames, "preset": preset})
    return segment_stream(source, objects, config, start=start, end=end, weights=weights, device=chosen,
                          on_event=report, cancelled=cancelled, fit_cache=fit_cache, clip=clip)


def run_clip(job: Job, report: EventSink, cancelled: Callable[[], bool], tag: str = "") -> dict[str, Any]:
    """Run ``job`` end to end; returns the ``done`` event's fields. Raises VosError, JobError or Cancelled.

    Everything cheap is checked before the network is loaded: output formats and whether their
    encoders take the input's frame size, weights, input, masks, paths. Every output covers the
    whole clip, frame for frame, so it lines up with the source on a timeline: outside
    ``start..end`` mattes are empty. Matte, alpha and composite outputs carry each object's alpha
    from the job's edge settings (plugin.soft; "hard" is the binary mask); index maps take the masks.
    If some outputs fail to finish, the others are still kept and the error names both. ``tag``
    marks the hidden partial outputs as this run's (see plugin.outputs.partial_path).
    """
    from plugin.inputs import load_job_inputs
    from plugin.pipeline import index_map
    from plugin.soft import SoftMatter
    from vos_core import VosError
    from vos_core.weights import resolve_weights

    from .formats import resolve
    from .sinks import FfmpegSink, check_encodable

    # Index maps hold ids, not levels: always 8-bit.
    formats = {out: resolve("matte", out.path) if out.kind == "index" else resolve(out.kind, out.path, job.matte_depth)
               for out in job.outputs}
    lossy = [out.path for out, fmt in formats.items() if out.kind == "index" and fmt.suffix not in INDEX_SUFFIXES]
    if lossy:
        raise UsageError(f"--index {lossy[0]}: ids need a lossless format: a folder (PNGs) or .mkv (FFV1)")
    config = job.config()
    soft = SoftMatter(job.refine_settings(), config.threshold)
    resolve_weights(job.weights)
    source, objects, labels = load_job_inputs(job)
    info = source.info
    for out, fmt in formats.items():
        check_encodable(fmt, out.path, info)
    targets = job.output_paths(labels)
    empty = np.zeros((info.height, info.width), np.uint8)
    started = time.perf_counter()
    with ExitStack() as stack:
        sinks = [(obj_id, stack.enter_context(FfmpegSink(formats[out], path, source.media, info, job.background, tag)))
                 for out, obj_id, path in targets]

        def write(masks: dict[int, np.ndarray], alphas: dict[int, np.ndarray]) -> None:
            for obj_id, sink in sinks:
                if obj_id is None:
                    sink.write(index_map(masks) if masks else empty)
                else:
                    sink.write(alphas.get(obj_id, empty))

        last = info.frames - 1 if job.end is None else job.end
        stream = start_segmenting(
            source, objects, config, start=job.start, end=job.end, preset=job.preset, weights=job.weights,
            device=job.device, report=report, cancelled=cancelled, frames=last - job.start + 1, clip=job.input,
        )
        for _ in range(job.start):
            write({}, {})
        with closing(stream):  # stops its decoder on cancel or error
            for frame in stream:
                write(frame.masks, soft.process(frame))
        if sinks[0][1].count != last + 1:
            raise VosError(f"{job.input}: segmented {sinks[0][1].count - job.start} frames of {job.start}..{last}")
        for _ in range(last + 1, info.frames):
            write({}, {})
        failures = []
        for _, sink in sinks:
            try:
                sink.commit()
            except VosError as exc:
                sink.abort()
                failures.append(str(exc))
    paths = [path for (_, _, path), (_, sink) in zip(targets, sinks) if sink.committed]
    if failures:
        kept = f"; kept {', '.join(paths)}" if paths else ""
        raise VosError(f"{'; '.join(failures)}{kept}")
    done = {"output": paths[0], "outputs": paths, "frames": info.frames, "seconds": time.perf_counter() - started}
    report("done", done)
    return done


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "segment", help="cut objects out of a clip, given their masks on one or more frames",
        description=__doc__.split("\n\n")[1], epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", help="video file, folder of images, or ffmpeg pattern like frames/%%05d.png")
    add_mask_options(p)
    outputs = p.add_argument_group("outputs (each flag repeatable; {object} in a path becomes the object's name)")
    for kind, flags in (("matte", ("-o", "--matte")), ("alpha", ("--alpha",)), ("composite", ("--composite",))):
        outputs.add_argument(*flags, dest=kind, action="append", default=[], metavar="PATH",
                             help=f"write a {kind} per object: {choices(kind)}")
    outputs.add_argument("--index", action="append", default=[], metavar="PATH",
                         help="write one map of object ids (0 = background) for all objects: "
                              "a folder (8-bit grey PNGs) or .mkv (FFV1)")
    add_input_options(p)
    add_output_options(p)
    add_model_options(p)
    add_refine_options(p)
    p.add_argument("--report", metavar="JSON", help="write each frame's confidence per object and flags (box lost, "
                   "low), the low-confidence runs and the suggested correction frame to this JSON file")
    p.set_defaults(run=_cmd_segment)


def _cmd_segment(args: argparse.Namespace, report: EventSink, cancelled: Callable[[], bool]) -> int:
    from plugin.confidence_report import ConfidenceReport
    from plugin.jobs import Job

    confidence = ConfidenceReport(report)
    run_clip(Job.from_dict(job_fields(args)), confidence, cancelled)
    _show_confidence(confidence, args.report, getattr(report, "mode", "bar"))
    return 0


def _show_confidence(confidence: ConfidenceReport, path: str | None, mode: str) -> None:
    """Write the ``--report`` file and, on the progress bar's stream, name the suggested correction frame
    (``--progress json`` carries it in the ``confidence`` event)."""
    if path:
        confidence.write(path)
    if mode == "bar":
        print(confidence.summary(), file=sys.stderr, flush=True)
