"""``vos-matte``: the command-line host.

Sub-commands: ``segment`` (one clip), ``pipe`` (a filter between two ffmpeg processes),
``batch`` (many clips), ``info`` (probe an input), ``scribble`` (strokes → mask), ``reframe`` and
``effects`` (new pictures from a clip's mattes), and the developer tools ``eval``, ``ablation``, ``train-parent``.
Heavy libraries are imported inside the commands so ``--help`` is instant.
Exit status: 0 ok; 1 failed (one line on stderr says why; an unexpected internal error also
gives 1 and says so); 2 usage (a bad flag or malformed job); 130 interrupted (Ctrl-C), 143
terminated (SIGTERM). The first signal stops at once in any phase and removes partial outputs; a second one ends the process.
Under ``--progress json`` every failure is also an ``error`` event (kind ``internal`` for a bug;
``VOS_DEBUG=1`` then prints its traceback too).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from hosts.ffmpeg import batch, devtools, effects, info, pipe, reframe, scribble, segment

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vos-matte", description=__doc__.split("\n")[0])
    parser.add_argument("--progress", choices=("bar", "json"), default="bar", help="progress on stderr: bar or json lines")
    parser.add_argument("--quiet", action="store_true", help="print errors only")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (segment, pipe, batch, info, scribble, reframe, effects, devtools):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from hosts.ffmpeg.progress import ProgressReporter
    from hosts.ffmpeg.segment import failure_fields
    from plugin import cancel

    report = ProgressReporter("quiet" if args.quiet else args.progress)
    cancelled = cancel.install()  # before the heavy imports: loading torch can take seconds too
    try:
        return args.run(args, report, cancelled)
    except cancel.Cancelled:
        report.finish()
        if report.mode == "json":
            report("cancelled", {})
        print("vos-matte: cancelled; no partial output was left", file=sys.stderr)
        return cancel.exit_status()
    except Exception as exc:  # noqa: BLE001 - every failure ends as one sentence, never a traceback
        fields = failure_fields(exc)
        report.finish()
        if report.mode == "json":  # the bar's error line would repeat the message below
            report("error", fields)
        print(f"vos-matte: error: {fields['message']}", file=sys.stderr)
        if fields["kind"] == "internal" and os.environ.get("VOS_DEBUG"):
            traceback.print_exc()
        return EXIT_USAGE if fields["kind"] in ("UsageError", "JobError") else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
