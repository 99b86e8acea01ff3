"""``vos-matte info INPUT``: what ffmpeg reports for an input (size as displayed, rate, frames, time base).

Handy for the ``pipe`` command lines, which need the size and exact rate.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from .segment import EventSink


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="print an input's size, exact frame rate, frame count and time base")
    p.add_argument("input", help="video file, folder of images, or ffmpeg pattern")
    p.add_argument("--fps", help="frame rate of image-sequence inputs (default 25)")
    p.add_argument("--json", action="store_true", help="print JSON instead of one line")
    p.set_defaults(run=_cmd_info)


def _cmd_info(args: argparse.Namespace, report: EventSink, cancelled: Callable[[], bool]) -> int:
    from vos_core.media.ffmpeg_input import open_input, probe

    info = probe(open_input(args.input, args.fps))
    fields = {"width": info.width, "height": info.height, "rate": str(info.rate), "frames": info.frames,
              "time_base": str(info.time_base), "rotation": info.rotation}
    turned = f" (shown rotated {info.rotation}°)" if info.rotation else ""
    print(json.dumps(fields) if args.json else
          f"{info.size}{turned} {info.rate} fps {info.frames} frames time base {info.time_base}")
    return 0
