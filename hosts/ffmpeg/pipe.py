"""``vos-matte pipe``: raw RGB frames on stdin, raw grey mattes on stdout.

ffmpeg cannot load new filters at run time, so this is the filter: it sits between an ffmpeg
that decodes (``-f rawvideo -pix_fmt rgb24 -``) and one that encodes (``-f rawvideo -pix_fmt
gray -s WxH -i -``). One 8-bit matte comes out per frame, in order: soft with ``--edge soft``
(or any refine control), all objects' alpha together.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from itertools import chain
from typing import BinaryIO

import numpy as np

from .job_options import add_input_options
from .options import add_model_options, add_refine_options, refine_from, settings_from
from .segment import EventSink, start_segmenting


def read_frames(stream: BinaryIO, width: int, height: int) -> Iterator[np.ndarray]:
    """Yield H×W×3 uint8 frames from raw rgb24 bytes; InputError on a truncated last frame."""
    from vos_core import InputError

    size = width * height * 3
    while True:
        data = stream.read(size)
        if not data:
            return
        if len(data) < size:
            raise InputError(f"stdin ended inside a frame ({len(data)} of {size} bytes): is --size {width}x{height} right?")
        yield np.frombuffer(data, np.uint8).reshape(height, width, 3).copy()


def parse_size(text: str) -> tuple[int, int]:
    """``"854x480"`` → ``(854, 480)``."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from None
    if width <= 0 or height <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive, got {text!r}")
    return width, height


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pipe", help="filter raw RGB frames on stdin into raw grey mattes on stdout")
    p.add_argument("--size", type=parse_size, required=True, metavar="WxH", help="frame size, e.g. 854x480")
    p.add_argument("--mask", required=True, help="mask image (white = object) drawn on the first frame")
    p.add_argument("--frames", type=int, help="frame count, if known (for the ETA only)")
    add_input_options(p)
    add_model_options(p)
    add_refine_options(p)
    p.set_defaults(run=_cmd_pipe)


class FirstFrameHeld:
    """Frames from stdin as a frame source for the core: the first one held (it carries the keyframe), the rest streamed.

    It can be read only once and has no length, so the core segments it forward from its first frame.
    """

    def __init__(self, first: np.ndarray, rest: Iterator[np.ndarray]) -> None:
        self.first, self.rest = first, rest

    def __getitem__(self, index: int) -> np.ndarray:
        if index != 0:
            raise IndexError(index)
        return self.first

    def __iter__(self) -> Iterator[np.ndarray]:
        return chain([self.first], self.rest)


def _cmd_pipe(args: argparse.Namespace, report: EventSink, cancelled: Callable[[], bool]) -> int:
    from plugin.refine import grabcut_refine
    from plugin.soft import SoftMatter
    from vos_core import InputError, VosError, get_preset, read_mask
    from vos_core.matte.alpha import get_refine, quantize
    from vos_core.media.masks import fit_mask
    from vos_core.propagation import Keyframe

    width, height = args.size
    config = get_preset(args.preset).with_overrides(**settings_from(args))
    edge, refine = refine_from(args)
    soft = SoftMatter(get_refine(edge).with_overrides(**refine), config.threshold)
    if args.mask_frame != 0:
        raise InputError("pipe reads stdin once, so the mask must be drawn on its first frame (--mask-frame 0); "
                         "use segment for masks on later frames")
    frames = read_frames(sys.stdin.buffer, width, height)
    first = next(frames, None)
    if first is None:
        raise InputError("stdin had no frame to hold the mask")
    mask = fit_mask(read_mask(args.mask), (width, height), args.resize_mask, f"mask {args.mask}")
    if args.refine_mask:
        mask = grabcut_refine(first, mask)
    out = sys.stdout.buffer
    count, start = 0, time.perf_counter()
    stream = start_segmenting(
        FirstFrameHeld(first, frames), {1: [Keyframe(0, mask)]}, config, start=0, end=None,
        preset=args.preset, weights=args.weights, device=args.device, report=report, cancelled=cancelled,
        frames=args.frames,
    )
    for count, result in enumerate(stream, 1):
        try:
            out.write(quantize(soft.matte(soft.process(result)), 8).tobytes())
            out.flush()
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())  # no second error at interpreter exit
            raise VosError("the reader of stdout went away (did the downstream ffmpeg fail?)") from None
    report("done", {"output": "stdout", "frames": count, "seconds": time.perf_counter() - start})
    return 0
