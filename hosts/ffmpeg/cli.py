"""``vos-matte``: the command-line host.

Sub-commands: ``segment`` (one clip), ``pipe`` (a filter between two ffmpeg processes),
``batch`` (many clips), ``info`` (probe an input), and the developer tools ``eval``, ``ablation``, ``train-parent``.
Heavy libraries are imported inside the commands so ``--help`` is instant.
Exit status: 0 ok, 1 failed, 2 usage, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import sys

from hosts.ffmpeg import batch, devtools, info, pipe, segment

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vos-matte", description=__doc__.split("\n")[0])
    parser.add_argument("--progress", choices=("bar", "json"), default="bar", help="progress on stderr: bar or json lines")
    parser.add_argument("--quiet", action="store_true", help="print errors only")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (segment, pipe, batch, info, devtools):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from hosts.ffmpeg.progress import ProgressReporter

    report = ProgressReporter("quiet" if args.quiet else args.progress)
    stop: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.append(signum))
    from hosts.ffmpeg.formats import UsageError
    from plugin.pipeline import Cancelled
    from vos_core import VosError

    try:
        return args.run(args, report, lambda: bool(stop))
    except Cancelled:
        report.finish()
        if report.mode == "json":
            report("cancelled", {})
        print("vos-matte: cancelled; no partial output was left", file=sys.stderr)
        return 128 + stop[0]
    except (VosError, UsageError) as exc:
        report.finish()
        if report.mode == "json":  # the bar's error line would repeat the message below
            report("error", {"message": str(exc), "kind": type(exc).__name__})
        print(f"vos-matte: error: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
