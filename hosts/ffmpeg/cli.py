"""``vos-matte``: the command-line host.

Sub-commands: ``segment`` (one clip), ``eval`` (DAVIS scores), ``train-parent`` (offline
training). Heavy libraries are imported inside the commands so ``--help`` is instant.
Exit status: 0 ok, 1 failed, 2 usage, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable

from hosts.ffmpeg import devtools
from hosts.ffmpeg.options import add_model_options, settings_from

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _cmd_segment(args: argparse.Namespace, report: Callable, cancelled: Callable[[], bool]) -> int:
    from plugin.jobs import SegmentJob
    from plugin.pipeline import run_job

    job = SegmentJob(
        input=args.input, mask=args.mask, output=args.output, mask_frame=args.mask_frame, preset=args.preset,
        settings=settings_from(args), weights=args.weights, device=args.device, resize_mask=args.resize_mask,
    )
    run_job(job, report, cancelled)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vos-matte", description=__doc__.split("\n")[0])
    parser.add_argument("--progress", choices=("bar", "json"), default="bar", help="progress on stderr: bar or json lines")
    parser.add_argument("--quiet", action="store_true", help="print errors only")
    sub = parser.add_subparsers(dest="command", required=True)

    seg = sub.add_parser("segment", help="cut an object out of a clip, given its mask on one frame")
    seg.add_argument("input", help="video file or folder of frames")
    seg.add_argument("--mask", required=True, help="mask image (white = object) drawn on --mask-frame")
    seg.add_argument("--mask-frame", type=int, default=0, help="frame index the mask was drawn on (default 0)")
    seg.add_argument("--resize-mask", action="store_true", help="resize the mask to the frame size if they differ")
    seg.add_argument("-o", "--output", required=True, help="output folder of PNG mattes")
    add_model_options(seg)
    seg.set_defaults(run=_cmd_segment)

    devtools.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from hosts.ffmpeg.progress import ProgressReporter

    report = ProgressReporter("quiet" if args.quiet else args.progress)
    stop: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.append(signum))
    from plugin.pipeline import Cancelled
    from vos_core import VosError

    try:
        return args.run(args, report, lambda: bool(stop))
    except Cancelled:
        report.finish()
        print("vos-matte: cancelled; no partial output was left", file=sys.stderr)
        return 128 + stop[0]
    except VosError as exc:
        report.finish()
        print(f"vos-matte: error: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
