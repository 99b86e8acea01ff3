"""``vos-matte pipe``: raw RGB frames on stdin, raw grey mattes on stdout.

ffmpeg cannot load new filters at run time, so this is the filter: it sits between an ffmpeg
that decodes (``-f rawvideo -pix_fmt rgb24 -``) and one that encodes (``-f rawvideo -pix_fmt
gray -s WxH -i -``). One matte comes out per frame, in order.
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

from .options import add_model_options, settings_from
from .segment import EventSink, add_input_options, load_mask, start_segmenting


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
    p.add_argument("--mask", required=True, help="mask image (white = object) drawn on --mask-frame")
    p.add_argument("--frames", type=int, help="frame count, if known (for the ETA only)")
    add_input_options(p)
    add_model_options(p)
    p.set_defaults(run=_cmd_pipe)


def _cmd_pipe(args: argparse.Namespace, report: EventSink, cancelled: Callable[[], bool]) -> int:
    from plugin.refine import grabcut_refine
    from vos_core import InputError, VosError, get_preset

    width, height = args.size
    config = get_preset(args.preset).with_overrides(**settings_from(args))
    if args.mask_frame < 0:
        raise InputError(f"mask frame must be >= 0, got {args.mask_frame}")
    frames = read_frames(sys.stdin.buffer, width, height)
    # Frames up to the annotated one are held back until it arrives (keep --mask-frame early).
    held = [frame for _, frame in zip(range(args.mask_frame + 1), frames)]
    if len(held) <= args.mask_frame:
        raise InputError(f"stdin had {len(held)} frames; there is no frame {args.mask_frame} to hold the mask")
    annotated = held[-1]
    mask = load_mask(args.mask, annotated.shape, args.resize_mask)
    if args.refine_mask:
        mask = grabcut_refine(annotated, mask)
    out = sys.stdout.buffer
    count, start = 0, time.perf_counter()
    stream = start_segmenting(
        chain(held, frames), annotated, mask, config, mask_frame=args.mask_frame, total=args.frames,
        preset=args.preset, weights=args.weights, device=args.device, report=report, cancelled=cancelled,
    )
    for count, (_, matte) in enumerate(stream, 1):
        try:
            out.write(matte.tobytes())
            out.flush()
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())  # no second error at interpreter exit
            raise VosError("the reader of stdout went away (did the downstream ffmpeg fail?)") from None
    report("done", {"output": "stdout", "frames": count, "seconds": time.perf_counter() - start})
    return 0
