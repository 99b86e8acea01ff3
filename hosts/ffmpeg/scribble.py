"""``vos-matte scribble``: a mask from a few strokes (white on black) on one frame, for ``segment --mask``.

The frame is an image, or frame ``--frame`` of a video / image folder (as ``segment`` numbers them).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from .segment import EventSink


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scribble", help="turn foreground/background strokes on one frame into a mask (GrabCut)",
        description="Strokes are images of the frame's size: white lines on black. The mask is written as an "
                    "8-bit grey PNG (white = object), ready for `segment --mask`.",
    )
    p.add_argument("input", help="the frame: an image, or a video / image folder with --frame")
    p.add_argument("foreground", help="strokes on the object")
    p.add_argument("background", nargs="?", help="strokes on what is not the object (optional)")
    p.add_argument("--frame", type=int, default=0, help="frame index of a video or folder input (default 0)")
    p.add_argument("--fps", help="frame rate of image-sequence inputs (only used to read them)")
    p.add_argument("-o", "--output", required=True, help="mask PNG to write")
    p.set_defaults(run=_cmd_scribble)


def _cmd_scribble(args: argparse.Namespace, report: EventSink, cancelled: Callable[[], bool]) -> int:
    from vos_core import read_image, write_mask
    from vos_core.app.scribbles import scribble_mask
    from vos_core.media.ffmpeg_input import IMAGE_SUFFIXES, open_input, probe, read_frame

    start = time.perf_counter()
    source = Path(args.input)
    if source.is_file() and source.suffix.lower() in IMAGE_SUFFIXES:
        frame = read_image(source)
    else:
        media = open_input(args.input, args.fps)
        frame = read_frame(media, probe(media), args.frame)
    strokes = [read_image(p) for p in (args.foreground, args.background) if p]
    mask = scribble_mask(frame, *strokes)
    write_mask(args.output, mask)
    report("done", {"output": args.output, "frames": 1, "seconds": time.perf_counter() - start,
                    "object_fraction": float((mask > 0).mean())})
    return 0
