"""``vos-matte batch --engine ray``: every shot of a batch is a Ray task, on one machine or a cluster.

Without ``--address`` a private Ray cluster is started on this machine for the run, reachable on
the loopback only, and stopped after it; with one (``auto``, ``HOST:6379``) the shots go to that
cluster. Each shot is :func:`hosts.ffmpeg.segment.run_clip` in a Ray task asking ``threads`` CPUs
(and a GPU share on a node that has GPUs); the driver here keeps at most ``tasks_per_node`` of
them on each node (default: as many as the node's CPUs allow, one per GPU on a GPU node) and pins
each to its node.
Ray worker processes are reused, so the network is loaded once per worker (plugin/model_cache).

Paths in jobs are made absolute against the driver's folder: every node must see the same files
(a shared or network drive). Outputs are committed atomically by the sinks; a shot that fails is
run again up to ``retries`` times (on any node), then reported while the others go on. A shot
whose outputs are complete and whose job is unchanged is skipped (plugin/batch_manifest). A first
Ctrl-C/SIGTERM cancels every task and waits for them to remove what they had half-written; what a
killed task leaves is swept by its tag (each shot marks its partial outputs with the run's token).

Events (``report``): the batch's ``progress`` (stage ``shots``: done and total shots, ETA from every
running shot's progress); ``clip`` when a shot is sent to a node; ``retry``; per shot ``done``
or ``error``, or ``skipped`` (its outputs are up to date). With ``per_shot`` (``--progress json``) each shot's own
``started`` and ``progress`` events too. All but the batch's progress carry ``shot``: the job's
1-based place in the jobs file.
"""

from __future__ import annotations

import glob
import logging
import os
import secrets
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from plugin.batch_manifest import fingerprint, record, up_to_date
from plugin.cancel import Cancelled, deferred
from plugin.jobs import OBJECT_PLACEHOLDER, Job, MaskRef
from plugin.outputs import partial_path

from .batch_engine import ClipStatus, use_threads
from .formats import UsageError
from .segment import EventSink, failure_fields, run_clip

#: Seconds between two batch progress events, and between two forwarded progress events of a shot.
PROGRESS_EVERY = 0.5
#: Seconds cancelled tasks get to remove their partial outputs before they are killed.
CANCEL_GRACE = 20.0
#: Seconds between two looks at the cluster's nodes (nodes may join during a run).
NODES_EVERY = 2.0
#: Ray gives a node the address of its network interface, which other machines reach, unless clusters
#: of several machines are switched off (its default on macOS and Windows): then the node is 127.0.0.1
#: and Ray's servers bind there. Ray reads the switch once, when it is imported. (Passing ray.init
#: ``_node_ip_address="127.0.0.1"`` does not do it: recent Ray turns a loopback address back into the
#: interface's.)
LOOPBACK_ONLY = ("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


@dataclass(frozen=True)
class RayOptions:
    """Where and how shots run: cluster ``address`` (None: a private one here), CPU ``threads``
    per shot, at most ``tasks_per_node`` shots at once on a node (None: as its CPUs allow), and
    how many times a failed shot is run again."""

    address: str | None = None
    threads: int = 1
    tasks_per_node: int | None = None
    retries: int = 1


@dataclass
class _Shot:
    n: int
    job: Job
    digest: str | None
    attempts: int = 0
    fraction: float = 0.0  # of the shot's work done, for the batch ETA


@dataclass
class _Node:
    slots: int
    gpus_per_task: float
    running: set = field(default_factory=set)


def run_batch_on_ray(
    jobs: list[Job], report: EventSink, cancelled: Callable[[], bool], options: RayOptions, per_shot: bool = False
) -> list[ClipStatus]:
    """Run ``jobs`` as Ray tasks; one ClipStatus per job, in order. Cancelled propagates after cleanup."""
    ray = import_ray(options)
    jobs = [absolute_job(job) for job in jobs]
    check_distinct_outputs(jobs)
    shots = [_Shot(n, job, _digest(job)) for n, job in enumerate(jobs, 1)]
    statuses: dict[int, ClipStatus] = {}
    todo = []
    for shot in shots:
        entry = up_to_date(shot.job, shot.digest)
        if entry is None:
            todo.append(shot)
            continue
        outputs = list(entry["outputs"])
        report("skipped", {"shot": shot.n, "input": shot.job.input, "outputs": outputs, "frames": entry["frames"]})
        statuses[shot.n] = ClipStatus(shot.job.input, True, "up to date: " + ", ".join(outputs), entry["frames"])
    if todo:
        try:
            with deferred():  # a signal inside Ray's compiled calls would become a SystemError
                connect(ray, options)
            _Driver(ray, todo, len(shots), report, cancelled, options, per_shot).run(statuses)
        finally:
            ray.shutdown()
    return [statuses[shot.n] for shot in shots]


def absolute_job(job: Job, base: str | Path | None = None) -> Job:
    """``job`` with its input, masks and scribbles, outputs, weights and a background clip made
    absolute against ``base`` (default: the current folder), as a worker in another folder or on
    another node must see them."""
    base = Path(base or os.getcwd())

    def absolute(path: str | None) -> str | None:
        return path if not path or "://" in path else str(base / path)

    def refs(masks: tuple[MaskRef, ...]) -> tuple[MaskRef, ...]:
        return tuple(replace(m, mask=absolute(m.mask), scribbles=tuple(map(absolute, m.scribbles))) for m in masks)

    # A background is a colour unless it names a file (sinks.background_node tells them apart so).
    background = absolute(job.background) if (base / job.background).is_file() else job.background
    return replace(
        job, input=absolute(job.input), weights=absolute(job.weights), background=background,
        objects=tuple(replace(o, keyframes=refs(o.keyframes)) for o in job.objects),
        index_masks=refs(job.index_masks),
        outputs=tuple(replace(out, path=absolute(out.path)) for out in job.outputs),
    )


def check_distinct_outputs(jobs: list[Job]) -> None:
    """UsageError if two shots (absolute jobs, numbered from 1) write the same output path: the
    later would silently replace the earlier's result, or both write it at once."""
    writers: dict[str, int] = {}
    for n, job in enumerate(jobs, 1):
        for path in {os.path.normpath(out.path) for out in job.outputs}:
            if path in writers:
                raise UsageError(f"shots {writers[path]} and {n} both write {path}: give each its own output")
            writers[path] = n


def _digest(job: Job) -> str | None:
    try:
        return fingerprint(job)
    except Exception:  # noqa: BLE001 - an unreadable job runs and fails there with the user-facing message
        return None


def import_ray(options: RayOptions) -> Any:
    """The ``ray`` module, set up (before its first import) so that a private cluster is on the loopback
    only; UsageError if Ray is not installed."""
    if not options.address:
        os.environ[LOOPBACK_ONLY[0]] = LOOPBACK_ONLY[1]
    try:
        import ray
    except ImportError:
        raise UsageError("--engine ray needs Ray: pip install 'vos-matte[ray]' (or pip install ray)") from None
    return ray


def connect(ray: Any, options: RayOptions) -> None:
    """Join the cluster at ``options.address``, or start a private one sized by the options (``ray``
    from :func:`import_ray`)."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    local = {} if options.address else {
        "num_cpus": options.threads * (options.tasks_per_node or max(1, (os.cpu_count() or 1) // options.threads))
    }
    try:
        # "local": a new private cluster even where $RAY_ADDRESS names another one
        ray.init(address=options.address or "local", log_to_driver=False, logging_level=logging.WARNING,
                 include_dashboard=False if not options.address else None, **local)
    except ConnectionError as exc:
        raise UsageError(f"cannot reach the Ray cluster at {options.address}: {exc}") from None
    finally:
        for sig, handler in saved.items():  # ray.init takes SIGTERM; cancelling stays plugin.cancel's
            signal.signal(sig, handler)


class _Driver:
    """Sends shots to nodes with free slots, gathers their events and results, retries, cancels."""

    def __init__(self, ray: Any, todo: list[_Shot], total: int, report: EventSink, cancelled: Callable[[], bool],
                 options: RayOptions, per_shot: bool) -> None:
        self.ray, self.report, self.cancelled, self.options, self.per_shot = ray, report, cancelled, options, per_shot
        self.queue, self.total, self.todo = list(todo), total, list(todo)
        self.finished = total - len(todo)
        self.running: dict[Any, tuple[_Shot, str]] = {}  # task ref → shot, node id
        self.nodes: dict[str, _Node] = {}
        self.task = ray.remote(max_calls=0, max_retries=0)(_run_shot)  # workers are kept: the net stays loaded
        self.box = ray.remote(num_cpus=0)(_EventBox).remote()
        self.token = secrets.token_hex(4)  # this run's, in its shots' partial output names
        self.started = time.perf_counter()
        self.last_progress = self.last_nodes = 0.0
        self.shown: tuple[int, float] | None = None  # what the last progress event said

    def run(self, statuses: dict[int, ClipStatus]) -> None:
        try:
            with deferred():  # the signal is seen here, between Ray calls, not raised inside one
                while self.queue or self.running:
                    self._fill()
                    ready, _ = self.ray.wait(list(self.running), num_returns=1, timeout=PROGRESS_EVERY)
                    self._drain()
                    for ref in ready:
                        self._finish(ref, statuses)
                    self._progress()
                    if self.cancelled():
                        raise Cancelled()
        except BaseException:  # Cancelled, KeyboardInterrupt, or the driver failing: stop every shot
            self._cancel_all()
            raise

    def _fill(self) -> None:
        now = time.perf_counter()
        if now - self.last_nodes > NODES_EVERY:
            self._look_at_nodes()
            self.last_nodes = now
        for node_id, node in self.nodes.items():
            while self.queue and len(node.running) < node.slots:
                shot = self.queue.pop(0)
                shot.attempts += 1
                shot.fraction = 0.0
                ref = self.task.options(
                    num_cpus=self.options.threads, num_gpus=node.gpus_per_task,
                    scheduling_strategy=self._on(node_id),
                ).remote(shot.n, shot.job, self.options.threads, self.box, self._tag(shot))
                node.running.add(ref)
                self.running[ref] = (shot, node_id)
                self.report("clip", {"clip": shot.n, "clips": self.total, "input": shot.job.input, "shot": shot.n,
                                     "node": node_id, "attempt": shot.attempts})

    def _tag(self, shot: _Shot) -> str:
        # The shot's number first: a tag is then never the start of another's (1-... and 12-...).
        return f"{shot.n}-{self.token}"

    def _on(self, node_id: str) -> Any:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        # soft: if the node dies the task may still run elsewhere rather than hang.
        return NodeAffinitySchedulingStrategy(node_id, soft=True)

    def _look_at_nodes(self) -> None:
        threads, per_node = self.options.threads, self.options.tasks_per_node
        alive = {n["NodeID"]: n["Resources"] for n in self.ray.nodes() if n.get("Alive")}
        for node_id, resources in alive.items():
            fit = int(resources.get("CPU", 0) // threads)
            gpus = resources.get("GPU", 0)
            slots = min(per_node, fit) if per_node else (min(int(gpus), fit) if gpus >= 1 else fit)
            node = self.nodes.setdefault(node_id, _Node(slots, 0.0))
            node.slots, node.gpus_per_task = slots, min(1.0, gpus / slots) if gpus and slots else 0.0
        for node_id in set(self.nodes) - set(alive):
            self.nodes[node_id].slots = 0  # gone: its running tasks fail and are retried elsewhere
        if not any(node.slots for node in self.nodes.values()):
            raise UsageError(f"no Ray node has {threads} CPUs for a shot: lower --threads")

    def _drain(self) -> None:
        for n, kind, fields in self.ray.get(self.box.drain.remote()):
            shot = next((s for s, _ in self.running.values() if s.n == n), None)
            if shot is None:  # a late event of a shot already finished
                continue
            if kind == "progress":
                half = 0.0 if fields["stage"] == "finetune" else 0.5
                shot.fraction = half + 0.5 * (fields["done"] / fields["total"] if fields["total"] else 0.0)
            if self.per_shot:
                self.report(kind, {**fields, "shot": n, "input": shot.job.input})

    def _finish(self, ref: Any, statuses: dict[int, ClipStatus]) -> None:
        shot, node_id = self.running.pop(ref)
        self.nodes[node_id].running.discard(ref)
        try:
            result = self.ray.get(ref)
        except self.ray.exceptions.RayError as exc:  # the worker or its node died, or Ray failed the task
            result = {"ok": False, "message": str(exc).strip().splitlines()[-1], "kind": type(exc).__name__,
                      "node": node_id}
        where = {"shot": shot.n, "input": shot.job.input, "node": result["node"], "attempt": shot.attempts}
        if result["ok"]:
            done = result["done"]
            if shot.digest:
                note_done(shot, done, self.report)
            self.report("done", {**done, **where, "pid": result["pid"]})
            statuses[shot.n] = ClipStatus(shot.job.input, True, ", ".join(done["outputs"]), done["frames"],
                                          done["seconds"])
        elif shot.attempts <= self.options.retries:
            self.report("retry", {**where, "message": result["message"], "kind": result["kind"]})
            self.queue.append(shot)
            return
        else:
            self.report("error", {**where, "message": result["message"], "kind": result["kind"]})
            statuses[shot.n] = ClipStatus(shot.job.input, False, result["message"])
        self.finished += 1
        self.last_progress = 0.0  # show the new count at once

    def _progress(self) -> None:
        now = time.perf_counter()
        share = sum(shot.fraction for shot, _ in self.running.values())
        if now - self.last_progress < PROGRESS_EVERY or (self.finished, share) == self.shown:
            return
        self.last_progress, self.shown = now, (self.finished, share)
        elapsed = now - self.started
        ran = self.finished - (self.total - len(self.todo))  # this run's, not those skipped
        done = (ran + share) / len(self.todo)
        eta = elapsed * (1 - done) / done if done > 0 else None
        self.report("progress", {"stage": "shots", "done": self.finished, "total": self.total, "elapsed_s": elapsed,
                                 "eta_s": eta, "fps": ran / elapsed if elapsed > 0 else 0.0,
                                 "running": len(self.running)})

    def _cancel_all(self) -> None:
        """Cancel every task, give them time to remove their partial outputs, then sweep what is left."""
        refs = list(self.running)
        for ref in refs:
            self.ray.cancel(ref)
        if refs:
            _, stuck = self.ray.wait(refs, num_returns=len(refs), timeout=CANCEL_GRACE)
            for ref in stuck:
                self.ray.cancel(ref, force=True)
        for shot, _ in self.running.values():
            remove_partials(shot.job, self._tag(shot))


def note_done(shot: _Shot, done: dict[str, Any], report: EventSink) -> None:
    """Record ``shot``'s committed outputs in the batch manifest; a manifest that cannot be written
    is a ``notice`` (the shot runs again next time), never the end of the shots still running."""
    try:
        record(shot.job, shot.digest, done["outputs"], done["frames"])
    except OSError as exc:
        report("notice", {"shot": shot.n, "message": f"shot {shot.n} cannot be noted as done in the batch manifest "
                                                     f"beside {done['outputs'][0]} ({exc.strerror}): it runs again "
                                                     "next time"})


def remove_partials(job: Job, tag: str) -> None:
    """Delete the half-written outputs a killed shot may leave beside each of ``job``'s outputs: those
    its sinks marked with ``tag`` (plugin.outputs.partial_path), whatever object names fill ``{object}``,
    and nothing another run (or another shot) is writing."""
    for out in job.outputs:
        pattern = Path(glob.escape(out.path).replace(OBJECT_PLACEHOLDER, "*"))
        for leftover in glob.glob(f"{partial_path(pattern, tag)}*"):  # * : the format's suffix, if any
            shutil.rmtree(leftover) if os.path.isdir(leftover) else os.remove(leftover)


class _EventBox:
    """A Ray actor holding shot events until the driver drains them (tasks send without waiting)."""

    def __init__(self) -> None:
        self.events: list[tuple[int, str, dict]] = []

    def add(self, n: int, kind: str, fields: dict) -> None:
        self.events.append((n, kind, fields))

    def drain(self) -> list[tuple[int, str, dict]]:
        events, self.events = self.events, []
        return events


def _run_shot(n: int, job: Job, threads: int, box: Any, tag: str) -> dict[str, Any]:
    """One shot, inside a Ray worker: run_clip with its ``started``/``progress`` events sent to ``box``
    and its partial outputs marked with ``tag``.

    Returns ``{"ok", "node", "pid"}`` plus ``done`` (run_clip's fields) or ``message``/``kind``.
    """
    import ray

    use_threads(threads)
    last = {"progress": 0.0}

    def report(kind: str, fields: dict) -> None:
        if kind == "progress":  # a few a second is enough for a bar; always the last of a stage
            now = time.perf_counter()
            if now - last["progress"] < PROGRESS_EVERY and fields["done"] != fields["total"]:
                return
            last["progress"] = now
        if kind in ("started", "progress"):  # done and error come back as the task's result
            box.add.remote(n, kind, fields)

    where = {"node": ray.get_runtime_context().get_node_id(), "pid": os.getpid()}
    try:
        return {"ok": True, "done": run_clip(job, report, lambda: False, tag), **where}
    except Exception as exc:  # noqa: BLE001 - the driver reports it and may retry; even a bug must not stop the batch
        return {"ok": False, **failure_fields(exc), **where}
