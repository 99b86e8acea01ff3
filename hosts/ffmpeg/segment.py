"""``vos-matte segment``: one clip in, any number of matte, alpha and composite outputs out.

The clip is decoded once by an ffmpeg pipe and segmented frame by frame; each output is its own
ffmpeg process fed the mattes as they come, so memory does not grow with clip length.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .formats import KINDS, UsageError, choices
from .options import add_model_options, settings_from

EventSink = Callable[[str, dict], None]


@dataclass(frozen=True)
class ClipJob:
    """Segment ``input`` from ``mask`` (drawn on frame ``mask_frame``) into ``outputs``.

    ``outputs`` holds ``(kind, path)`` pairs, kind one of matte/alpha/composite; the suffix of
    ``path`` picks the format (see formats.FORMATS). ``fps`` is the rate of image-sequence inputs;
    ``background`` (a colour or a clip) is what composites are laid over.
    """

    input: str
    mask: str
    outputs: tuple[tuple[str, str], ...]
    mask_frame: int = 0
    resize_mask: bool = False
    refine_mask: bool = False
    fps: str | None = None
    background: str = "black"
    preset: str = "fast"
    settings: dict[str, Any] = field(default_factory=dict)
    weights: str | None = None
    device: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace, **fields: Any) -> ClipJob:
        """The job the shared command-line options describe; ``fields`` sets the rest."""
        return cls(
            mask_frame=args.mask_frame, resize_mask=args.resize_mask, refine_mask=args.refine_mask, fps=args.fps,
            background=args.background, preset=args.preset, settings=settings_from(args), weights=args.weights,
            device=args.device, **fields,
        )


def failure_fields(exc: Exception) -> dict[str, str]:
    """The ``error`` event's ``{"message", "kind"}`` for any exception that ended a clip or command."""
    from plugin.events import error_fields

    return {"message": str(exc), "kind": "UsageError"} if isinstance(exc, UsageError) else error_fields(exc)


def load_mask(path: str, frame_shape: tuple[int, ...], resize: bool) -> np.ndarray:
    """The editor's mask as H×W uint8 0/255 at the frame's size, or InputError saying what is wrong."""
    from vos_core import InputError, read_mask, validate_mask
    from vos_core.masks import resize_mask

    mask = read_mask(path)
    height, width = frame_shape[:2]
    if mask.shape != (height, width):
        if not resize:
            raise InputError(
                f"mask {path} is {mask.shape[1]}×{mask.shape[0]} but the video is {width}×{height}; "
                "pass --resize-mask to scale it"
            )
        mask = resize_mask(mask, width, height)
    return validate_mask(mask, frame_shape, what=f"mask {path}")


def start_segmenting(
    frames: Iterable[np.ndarray], annotated: np.ndarray, mask: np.ndarray, config, *, mask_frame: int,
    total: int | None, preset: str, weights: str | None, device: str | None, report: EventSink,
    cancelled: Callable[[], bool],
) -> Iterator[tuple[int, np.ndarray]]:
    """Pick the device, announce ``started`` and return plugin.pipeline.segment_stream's generator."""

    from plugin.device import describe, pick_device
    from plugin.pipeline import segment_stream

    chosen = pick_device(device)
    report("started", {"device": describe(chosen), "frames": total, "preset": preset})
    return segment_stream(
        frames, annotated, mask, config, mask_frame=mask_frame, total=total, weights=weights, device=chosen,
        on_event=report, cancelled=cancelled,
    )


def run_clip(job: ClipJob, report: EventSink, cancelled: Callable[[], bool]) -> dict[str, Any]:
    """Run ``job`` end to end; returns the ``done`` event's fields. Raises VosError or Cancelled.

    Everything cheap is checked before the network is loaded: output formats and whether their
    encoders take the input's frame size, weights, input, mask, paths. If some outputs then fail
    to finish, the others are still kept and the error names both.
    """
    from plugin.refine import grabcut_refine
    from vos_core import VosError, get_preset
    from vos_core.weights import resolve_weights

    from .formats import resolve
    from .media import decode, open_input, probe, read_frame
    from .sinks import FfmpegSink, check_encodable

    if not job.outputs:
        raise UsageError("no output given: use -o/--matte, --alpha or --composite")
    formats = [(resolve(kind, path), path) for kind, path in job.outputs]
    config = get_preset(job.preset).with_overrides(**job.settings)
    resolve_weights(job.weights)
    media = open_input(job.input, job.fps)
    info = probe(media)
    for fmt, path in formats:
        check_encodable(fmt, path, info)
    annotated = read_frame(media, info, job.mask_frame)
    mask = load_mask(job.mask, annotated.shape, job.resize_mask)
    if job.refine_mask:
        mask = grabcut_refine(annotated, mask)
    start = time.perf_counter()
    with ExitStack() as stack:
        sinks = [stack.enter_context(FfmpegSink(fmt, path, media, info, job.background)) for fmt, path in formats]
        frames = stack.enter_context(closing(decode(media, info)))  # stops the decoder on cancel or error
        stream = start_segmenting(
            frames, annotated, mask, config, mask_frame=job.mask_frame, total=info.frames,
            preset=job.preset, weights=job.weights, device=job.device, report=report, cancelled=cancelled,
        )
        for _, matte in stream:
            for sink in sinks:
                sink.write(matte)
        if sinks[0].count != info.frames:
            raise VosError(f"{job.input}: decoded {sinks[0].count} frames, expected {info.frames}")
        failures = []
        for sink in sinks:
            try:
                sink.commit()
            except VosError as exc:
                sink.abort()
                failures.append(str(exc))
    paths = [path for (_, path), sink in zip(formats, sinks) if sink.committed]
    if failures:
        kept = f"; kept {', '.join(paths)}" if paths else ""
        raise VosError(f"{'; '.join(failures)}{kept}")
    done = {"output": paths[0], "outputs": paths, "frames": info.frames, "seconds": time.perf_counter() - start}
    report("done", done)
    return done


def add_input_options(p: argparse.ArgumentParser) -> None:
    """Mask options shared by ``segment``, ``pipe`` and ``batch``."""
    p.add_argument("--mask-frame", type=int, default=0, help="frame index the mask was drawn on (default 0)")
    p.add_argument("--resize-mask", action="store_true", help="scale the mask to the frame size if they differ")
    p.add_argument("--refine-mask", action="store_true", help="snap the drawn mask to edges (GrabCut) first")


def add_output_options(p: argparse.ArgumentParser) -> None:
    """Output and input-rate options shared by ``segment`` and ``batch`` (as defaults there)."""
    p.add_argument("--fps", help="frame rate of image-sequence inputs, e.g. 24 or 24000/1001 (default 25)")
    p.add_argument("--background", default="black", help="colour (green, #00ff00) or clip under --composite")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "segment", help="cut an object out of a clip, given its mask on one frame",
        description="Outputs are chosen by flag and suffix; each flag may be repeated.",
    )
    p.add_argument("input", help="video file, folder of images, or ffmpeg pattern like frames/%%05d.png")
    p.add_argument("--mask", required=True, help="mask image (white = object) drawn on --mask-frame")
    for kind, flags in (("matte", ("-o", "--matte")), ("alpha", ("--alpha",)), ("composite", ("--composite",))):
        p.add_argument(*flags, dest=kind, action="append", default=[], metavar="PATH",
                       help=f"write a {kind}: {choices(kind)}")
    add_input_options(p)
    add_output_options(p)
    add_model_options(p)
    p.set_defaults(run=_cmd_segment)


def _cmd_segment(args: argparse.Namespace, report: EventSink, cancelled: Callable[[], bool]) -> int:
    outputs = tuple((k, path) for k in KINDS for path in getattr(args, k))
    job = ClipJob.from_args(args, input=args.input, mask=args.mask, outputs=outputs)
    run_clip(job, report, cancelled)
    return 0
