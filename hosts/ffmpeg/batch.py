"""``vos-matte batch JOBS.json|JOBS.csv``: many clips in one run.

A clip that fails is reported and the run goes on with the next one; a status line per clip is
printed on stdout at the end, and the exit status is 1 if any clip failed. Ctrl-C/SIGTERM stop
the whole run (the clip in progress leaves no partial output).

A JSON file holds a list of jobs in the form every host shares (plugin/jobs.py: ``objects`` with
keyframes, ``index_masks``, ``outputs``, ``start``/``end``...), or in the single-mask form: ``input``,
``mask``, at least one of ``matte`` (alias ``output``), ``alpha``, ``composite``; optional
``mask_frame``, ``start``, ``end``, ``resize_mask``, ``refine_mask``, ``fps``, ``background``,
``preset``, ``iters``. A CSV file has the single-mask form as columns (empty cell = default). The
command line's options are the defaults for every job.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .batch_engine import ClipStatus, use_threads
from .formats import UsageError
from .job_options import add_input_options, add_output_options, shared_fields
from .options import add_model_options, add_refine_options
from .segment import EventSink, failure_fields, run_clip

if TYPE_CHECKING:
    from plugin.jobs import Job

#: CSV cells are text: these columns are read as whole numbers, these as true/false.
NUMBERS = ("mask_frame", "start", "end", "iters", "version")
FLAGS = ("resize_mask", "refine_mask")


def read_rows(path: str) -> list[dict[str, Any]]:
    """The job rows of a .json (a list of objects) or .csv (header row) file, or UsageError."""
    try:
        text = Path(path).read_text()
        rows = list(csv.DictReader(text.splitlines())) if path.lower().endswith(".csv") else json.loads(text)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read jobs file {path}: {exc}") from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise UsageError(f"jobs file {path} must hold a list of jobs")
    return [{k: v for k, v in row.items() if v not in ("", None)} for row in rows]


def job_from_row(n: int, row: dict[str, Any], defaults: dict[str, Any], from_csv: bool = False) -> Job:
    """One row as a Job over ``defaults`` (the command line's options); UsageError naming row ``n`` if
    malformed, its settings included (so that no clip runs before every row is known good)."""
    from plugin.jobs import Job
    from vos_core import VosError

    if None in row:  # csv.DictReader files the cells beyond the header's columns under None
        raise UsageError(f"job {n}: the row has {len(row[None])} more cell(s) than the header has columns")
    try:
        if from_csv:
            row = {k: int(v) if k in NUMBERS else _as_bool(v) if k in FLAGS else v for k, v in row.items()}
        settings = row.get("settings", {})
        if isinstance(settings, dict):  # anything else: Job.from_dict says what is wrong
            settings = {**defaults["settings"], **settings}
        job = Job.from_dict({**defaults, **row, "settings": settings})
        job.config()
        return job
    except (ValueError, VosError) as exc:  # a cell that is not a number or flag, a JobError, a setting out of range
        raise UsageError(f"job {n}: {exc}") from None


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("1", "true", "yes"):
        return True
    if str(value).lower() in ("0", "false", "no"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def run_batch(jobs: list[Job], report: EventSink, cancelled: Callable[[], bool]) -> list[ClipStatus]:
    """Run every job, continuing past failures; Cancelled propagates and ends the run."""
    statuses = []
    for n, job in enumerate(jobs, 1):
        report("clip", {"clip": n, "clips": len(jobs), "input": job.input})
        try:
            done = run_clip(job, report, cancelled)
        except Exception as exc:  # noqa: BLE001 - one clip's failure, even a bug, must not stop the others
            fields = failure_fields(exc)
            report("error", {**fields, "input": job.input})
            statuses.append(ClipStatus(job.input, False, fields["message"]))
        else:
            statuses.append(ClipStatus(job.input, True, ", ".join(done["outputs"]), done["frames"], done["seconds"]))
    return statuses


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("batch", help="segment many clips listed in a JSON or CSV jobs file")
    p.add_argument("jobs", help="JOBS.json (a list of objects) or JOBS.csv (a header row)")
    add_input_options(p)
    add_output_options(p)
    add_model_options(p)
    add_refine_options(p)
    engine = p.add_argument_group("engine (see hosts/ffmpeg/README.md: batch on a cluster)")
    engine.add_argument("--engine", choices=("local", "ray"), default="local",
                        help="local: one clip after another in this process (default); ray: every clip a Ray task "
                             "(pip install 'vos-matte[ray]'), skipping clips whose outputs are up to date")
    engine.add_argument("--address", help="ray: the cluster to use (auto, HOST:PORT); default: start one on this machine")
    engine.add_argument("--threads", type=int, help="CPU threads per clip (ray default 1; local: torch's choice)")
    engine.add_argument("--tasks-per-node", type=int, help="ray: clips at once per node (default: as its CPUs allow)")
    engine.add_argument("--retries", type=int, default=1, help="ray: runs again of a failed clip (default 1)")
    p.set_defaults(run=_cmd_batch)


def _cmd_batch(args: argparse.Namespace, report: EventSink, cancelled: Callable[[], bool]) -> int:
    from_csv = args.jobs.lower().endswith(".csv")
    jobs = [job_from_row(n, row, shared_fields(args), from_csv) for n, row in enumerate(read_rows(args.jobs), 1)]
    if args.engine == "ray":
        # Here, not at the top: ray_batch brings the batch manifest and with it torch, which every
        # other command's start would pay for.
        from .ray_batch import RayOptions, run_batch_on_ray

        options = RayOptions(args.address, args.threads or 1, args.tasks_per_node, args.retries)
        statuses = run_batch_on_ray(jobs, report, cancelled, options, per_shot=args.progress == "json")
    else:
        if args.threads:
            use_threads(args.threads)
        statuses = run_batch(jobs, report, cancelled)
    if not args.quiet:
        for s in statuses:
            detail = f"{s.frames} frames, {s.seconds:.1f} s -> {s.message}" if s.ok else s.message
            print(f"{'ok' if s.ok else 'FAILED':<7} {s.input}: {detail}")
    failed = sum(not s.ok for s in statuses)
    if not args.quiet:
        print(f"{len(statuses) - failed} of {len(statuses)} clips done")
    return 1 if failed else 0
