"""``vos-matte reframe``: object-centred stabilisation or social-aspect reframing from a clip's mattes.

Pass 1 reads only the mattes and computes the camera path (vos_core.app.reframe); pass 2 decodes the
clip, crops each frame and encodes the result with the clip's audio. The path can be written as
JSON or CSV (``--path``), for other tools or the Blender add-on, with or without the video.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from .clip_options import add_clip_options
from .formats import UsageError
from .segment import EventSink

#: Default zoom when the aspect is the source's: the crop needs room to move to stabilise anything.
STABILISE_ZOOM = 1.25


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "reframe", help="follow the object: stabilise around it or reframe to 9:16, 1:1, 4:5 (needs its mattes)",
        description="Crop windows follow the object along a smoothed camera path and never leave the frame.",
    )
    add_clip_options(p)
    p.add_argument("--aspect", default="source", help="crop aspect: source (stabilise), 9:16, 1:1, 4:5, or W:H")
    p.add_argument("--zoom", type=float,
                   help=f"crop = largest window of the aspect / zoom (default 1, or {STABILISE_ZOOM} for source)")
    p.add_argument("--smoothing", type=float, default=30.0,
                   help="camera steadiness: motion faster than this many frames is smoothed out (0 = locked on)")
    p.add_argument("--margin", type=float, default=0.05, help="room kept around the object, fraction of the crop")
    p.add_argument("--path", help="also write the camera path: .json or .csv (frame, crop window, object centre)")
    p.set_defaults(run=_cmd_reframe)


def _cmd_reframe(args: argparse.Namespace, report: EventSink, cancelled: Callable[[], bool]) -> int:
    from plugin.cancel import Cancelled
    from plugin.events import Progress
    from vos_core.app.reframe import ReframeSettings, crop, parse_aspect, reframe, track_object
    from vos_core.media.ffmpeg_input import decode

    from .formats import resolve
    from .frame_outputs import RgbSink, decode_mattes, open_clip_and_mattes, resized
    from .sinks import check_encodable

    if not args.output and not args.path:
        raise UsageError("nothing to write: give -o/--output for the video and/or --path for the camera path")
    if args.path and Path(args.path).suffix.lower() not in (".json", ".csv"):
        raise UsageError(f"--path {args.path}: use a .json or .csv file")
    aspect = parse_aspect(args.aspect)
    settings = ReframeSettings(aspect, args.zoom or (STABILISE_ZOOM if aspect is None else 1.0), args.smoothing,
                               args.margin)
    fmt = resolve("composite", args.output) if args.output else None
    media, info, matte_media, matte_info = open_clip_and_mattes(args.input, args.mattes, args.fps)
    start = time.perf_counter()
    report("started", {"device": "cpu", "frames": info.frames, "preset": "reframe"})
    with closing(decode_mattes(matte_media, matte_info)) as mattes:
        path = reframe(track_object(mattes), settings)
    if args.path:
        text = path.to_csv() if args.path.lower().endswith(".csv") else path.to_json()
        Path(args.path).write_text(text)
    outputs = [args.path] if args.path else []
    if fmt is not None:
        crop_info = resized(info, *path.size)
        check_encodable(fmt, args.output, crop_info)
        with RgbSink(fmt, args.output, media, crop_info) as sink, closing(decode(media, info)) as frames:
            for index, (frame, window) in enumerate(zip(frames, path.windows), 1):
                if cancelled():
                    raise Cancelled()
                sink.write(crop(frame, window))
                report("progress", Progress("reframe", index, info.frames, time.perf_counter() - start).to_dict())
        outputs.insert(0, args.output)
    report("done", {"output": outputs[0], "outputs": outputs, "frames": info.frames, "crop": list(path.size),
                    "seconds": time.perf_counter() - start})
    return 0
