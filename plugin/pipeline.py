"""Running the core on a clip: keyframes in, per-frame results out, with progress, cancel and caches."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence, Sized
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import torch

from vos_core import FrameResult, SegmentConfig, VideoPredictor, VosError
from vos_core.confidence import ConfidenceTrack, FrameConfidence, low_runs, suggest_corrections
from vos_core.propagation import Keyframe
from vos_core.weights import resolve_weights

from .cancel import Cancelled
from .correction import RunRecord, correction_span, covering
from .device import describe, pick_device
from .events import Progress
from .fit_cache import FitCache, clip_key
from .inputs import load_job_inputs
from .jobs import Job
from .model_cache import cached_detector, cached_net
from .outputs import PngSequenceWriter
from .soft import SoftMatter

#: What the plugin yields per frame: index, source frame, per-object masks and maps (see FrameResult).
FrameOut = FrameResult
__all__ = ["FrameOut", "Keyframe", "index_map", "run_job", "segment_stream"]

EventSink = Callable[[str, dict], None]


def _never() -> bool:
    return False


def segment_stream(
    source: Sequence[np.ndarray],
    objects: dict[int, list[Keyframe]],
    config: SegmentConfig,
    *,
    start: int = 0,
    end: int | None = None,
    weights: str | Path | None = None,
    device: torch.device | str = "cpu",
    on_event: EventSink | None = None,
    cancelled: Callable[[], bool] = _never,
    fit_cache: FitCache | None = None,
    clip: str | Path | None = None,
) -> Iterator[FrameOut]:
    """Yield a :class:`FrameOut` for each frame ``start..end`` (inclusive; None: the last) of ``source``.

    ``source`` is the clip (``len()``, ``[index]`` and re-iterable, as ``vos_core.open_frames``
    gives); ``objects`` maps object ids to their keyframes (H×W uint8 0/255 masks). With
    ``fit_cache`` (and ``clip``, the input's path, to key it) fitted networks are reused: an
    unchanged object is not fine-tuned again, one with added keyframes only ``refit_iters``
    steps. Progress goes to ``on_event(kind, fields)``; ``cancelled()`` is polled between steps
    and frames. Each frame's progress event carries its confidence (``vos_core/confidence.py``:
    ``frame``, ``confidence`` and ``flags`` per object); a last ``confidence`` event gives the
    ``suggested`` correction frames and the ``low_runs`` (``[first, last]``, in frame order).
    """
    emit = on_event or (lambda kind, fields: None)
    net, info = cached_net(weights)  # once per process: a batch worker runs many shots
    predictor = VideoPredictor(net, config, device, cached_detector(config.detector, weights, str(device)))
    session = predictor.new_session()
    images = {k.frame: source[k.frame] for keyframes in objects.values() for k in keyframes}
    for obj_id, keyframes in objects.items():
        for key in keyframes:
            predictor.add_mask(session, key.frame, images[key.frame], key.mask, obj_id)
    keys = {oid: clip_key(clip, config, info["path"], oid) for oid in objects} if fit_cache and clip else {}
    notice = _notices(emit)
    # A correction's refit never trains longer than the whole fit did.
    refit = min(config.refit_iters, config.finetune_iters)
    warm = {oid: hit for oid, key in keys.items() if (hit := fit_cache.lookup(key, objects[oid], refit, notice))}

    def progress(stage: str, started: float) -> Callable[..., None]:
        def report(done: int, total: int | None, frame: FrameConfidence | None = None) -> None:
            if cancelled():
                raise Cancelled()
            extra = frame.to_dict() if frame is not None else {}
            emit("progress", {**Progress(stage, done, total, time.perf_counter() - started).to_dict(), **extra})
        return report

    report = progress("finetune", time.perf_counter())
    for step in predictor.fit(session, warm):
        report(step.step, step.total)
    for oid, key in keys.items():
        if warm.get(oid, (None, None))[1] != 0:  # fitted here: keep it for the next run
            fit_cache.store(key, objects[oid], session.objects[oid].net.state_dict())
    # A live stream (pipe mode) has no length: its progress has no total.
    last = end if end is not None else (len(source) - 1 if isinstance(source, Sized) else None)
    total = None if last is None else last - start + 1
    segment_started = time.perf_counter()
    scan = progress("segment", segment_started)
    scanned = False

    def on_scan(done: int, of: int) -> None:
        nonlocal scanned
        scanned = True
        scan(done, of)

    # Streaming, each frame comes out as it is segmented. With keyframes later in the clip the
    # network first scans every frame (on_scan), then the joined results come out: a second stage.
    report = None
    track = ConfidenceTrack({oid: {k.frame for k in keyframes} for oid, keyframes in objects.items()})
    for done, result in enumerate(predictor.propagate(session, source, start, end, on_scan=on_scan), 1):
        if report is None:
            report = progress("join", time.perf_counter()) if scanned else scan
        report(done, total, track.update(result))
        yield result
    emit("confidence", {"suggested": suggest_corrections(track), "low_runs": sorted([a, b] for a, b, _ in low_runs(track))})


def _notices(emit: EventSink) -> Callable[[str], None]:
    """A plugin.fit_cache.Notice that sends each message as a ``notice`` event."""
    return lambda message: emit("notice", {"message": message})


def index_map(masks: dict[int, np.ndarray]) -> np.ndarray:
    """All objects in one H×W uint8 map: each pixel the id of its object, 0 for background."""
    out = np.zeros(next(iter(masks.values())).shape, np.uint8)
    for oid, mask in masks.items():
        out[mask > 0] = oid
    return out


def run_job(
    job: Job, on_event: EventSink | None = None, cancelled: Callable[[], bool] = _never, fit_cache: FitCache | None = None
) -> list[Path]:
    """Run a job end to end, writing PNG sequences; returns the folders written.

    Matte outputs get one grey PNG (``job.matte_depth`` bits) per frame and object, the object's
    alpha from the job's edge settings (plugin.soft; "hard" is the binary mask), index outputs one
    map of object ids per frame (``00000.png``...); the other kinds are the command line's. After a correction
    (the same job with keyframes added) only the frames between the new keyframes' neighbours
    are segmented again, for every object, and the rest is kept (see ``correction.py``); index
    outputs, which mix every object, always run whole.
    """
    emit = on_event or (lambda kind, fields: None)
    config = job.config()
    refine = job.refine_settings()
    source, objects, labels = load_job_inputs(job)
    files = job.output_paths(labels)
    other = sorted({out.kind for out, _, _ in files} - {"matte", "index"})
    if other:
        raise VosError(f"{other[0]} outputs are written by the vos-matte command; jobs run here write matte and "
                       "index PNG sequences")
    end = len(source) - 1 if job.end is None else job.end
    record = RunRecord.of(job.input, config, resolve_weights(job.weights), objects, job.start, end,
                          {**refine.to_dict(), "depth": job.matte_depth})
    previous = [RunRecord.read(path, _notices(emit)) for _, _, path in files]
    whole = any(out.kind == "index" for out, _, _ in files) or any(p != previous[0] for p in previous)
    span = None if whole else correction_span(previous[0], record)
    # Every object runs again in the span, not only the changed ones: objects contest each pixel
    # (the overlap rule), and the unchanged ones' fits come back from the cache unchanged.
    keys = [[k.frame for k in keyframes if job.start <= k.frame <= end] for keyframes in objects.values()]
    first, last = covering(*span, keys) if span else (job.start, end)
    device = pick_device(job.device)
    emit("started", {"device": describe(device, config.precision), "frames": last - first + 1, "preset": job.preset})
    started = time.perf_counter()
    with ExitStack() as stack:
        # Index maps hold ids, not levels: always 8 bits.
        writers = [(oid, stack.enter_context(PngSequenceWriter(path, 8 if oid is None else job.matte_depth)))
                   for _, oid, path in files]
        if span:
            for _, writer in writers:
                for index in [*range(job.start, first), *range(last + 1, end + 1)]:
                    writer.reuse(writer.folder, index)
        stream = segment_stream(
            source, objects, config, start=first, end=last, weights=job.weights,
            device=device, on_event=emit, cancelled=cancelled, fit_cache=fit_cache, clip=job.input,
        )
        soft = SoftMatter(refine, config.threshold)
        for result in stream:
            alphas = soft.process(result)
            for oid, writer in writers:
                if oid is None:
                    writer.write(result.index, index_map(result.masks))
                elif oid in alphas:
                    writer.write(result.index, alphas[oid])
        if writers[0][1].count == 0:
            raise VosError(f"{job.input} has no frames in {first}..{last}")
        for _, writer in writers:
            record.write(writer.partial)
    folders = [writer.folder for _, writer in writers]
    emit("done", {"output": str(folders[0]), "outputs": [str(f) for f in folders], "frames": last - first + 1,
                  "kept": (end - job.start + 1) - (last - first + 1), "seconds": time.perf_counter() - started})
    return folders
