"""``vos-matte effects``: background blur, colour pop, highlight or outline from a clip's mattes.

Each frame is decoded with its matte, changed by plugin.effects and encoded with the clip's audio;
soft (grey) mattes blend smoothly. Background replacement is ``segment --composite --background``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from contextlib import closing

from .clip_options import add_clip_options
from .formats import UsageError
from .segment import EventSink

#: The choices of --effect (plugin.effects.EFFECTS, repeated so that --help does not import numpy/OpenCV).
EFFECT_NAMES = ("blur", "pop", "highlight", "outline")


def _rgb(text: str) -> tuple[int, int, int]:
    """``"255,220,0"`` or ``"#ffdc00"`` → (255, 220, 0)."""
    try:
        if text.startswith("#") and len(text) == 7:
            return tuple(int(text[i:i + 2], 16) for i in (1, 3, 5))
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or not all(0 <= v <= 255 for v in values):
        raise argparse.ArgumentTypeError(f"expected R,G,B (0-255) or #rrggbb, got {text!r}")
    return values


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("effects", help="background blur, colour pop, highlight or outline, driven by the mattes")
    add_clip_options(p)
    p.add_argument("--effect", required=True, choices=EFFECT_NAMES,
                   help="blur: blur the background; pop: grey background; highlight: darken it; outline: line around")
    p.add_argument("--blur", type=float, default=12.0, help="blur: sigma in pixels at 480 lines (default 12)")
    p.add_argument("--saturation", type=float, default=0.0, help="pop: colour left in the background, 0..1 (default 0)")
    p.add_argument("--dim", type=float, default=0.35, help="highlight: background brightness, 0..1 (default 0.35)")
    p.add_argument("--colour", type=_rgb, default=(255, 220, 0), help="outline: R,G,B or #rrggbb (default yellow)")
    p.add_argument("--width", type=float, default=4.0, help="outline: pixels at 480 lines (default 4)")
    p.set_defaults(run=_cmd_effects)


def _cmd_effects(args: argparse.Namespace, report: EventSink, cancelled: Callable[[], bool]) -> int:
    from plugin.cancel import Cancelled
    from plugin.effects import EffectSettings, apply_effect
    from plugin.events import Progress
    from vos_core.media.ffmpeg_input import decode

    from .formats import resolve
    from .frame_outputs import RgbSink, decode_mattes, open_clip_and_mattes
    from .sinks import check_encodable

    if not args.output:
        raise UsageError("no output given: use -o/--output")
    fmt = resolve("composite", args.output)
    settings = EffectSettings(args.blur, args.saturation, args.dim, args.colour, args.width)
    media, info, matte_media, matte_info = open_clip_and_mattes(args.input, args.mattes, args.fps)
    check_encodable(fmt, args.output, info)
    start = time.perf_counter()
    report("started", {"device": "cpu", "frames": info.frames, "preset": args.effect})
    with (RgbSink(fmt, args.output, media, info) as sink, closing(decode(media, info)) as frames,
          closing(decode_mattes(matte_media, matte_info)) as mattes):
        for index, (frame, matte) in enumerate(zip(frames, mattes), 1):
            if cancelled():
                raise Cancelled()
            sink.write(apply_effect(args.effect, frame, matte, settings))
            report("progress", Progress(args.effect, index, info.frames, time.perf_counter() - start).to_dict())
    report("done", {"output": args.output, "outputs": [args.output], "frames": info.frames,
                    "seconds": time.perf_counter() - start})
    return 0
