"""Running the core on a stream of frames, reporting progress and honouring cancel."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import torch

from vos_core import SegmentConfig, VideoPredictor, VosError, load_net, open_frames, read_mask
from vos_core.detection import load_detector
from vos_core.masks import resize_mask

from .cancel import Cancelled
from .device import describe, pick_device
from .events import Progress
from .jobs import SegmentJob
from .outputs import PngSequenceWriter
from .refine import grabcut_refine

EventSink = Callable[[str, dict], None]


def _never() -> bool:
    return False


def segment_stream(
    frames: Iterable[np.ndarray],
    annotated: np.ndarray,
    mask: np.ndarray,
    config: SegmentConfig,
    *,
    mask_frame: int = 0,
    total: int | None = None,
    weights: str | Path | None = None,
    device: torch.device | str = "cpu",
    on_event: EventSink | None = None,
    cancelled: Callable[[], bool] = _never,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(frame index, H×W uint8 0/255 matte)`` for each frame of ``frames``.

    ``annotated`` is frame ``mask_frame`` (H×W×3 uint8 RGB) and ``mask`` its H×W mask. Progress
    goes to ``on_event(kind, fields)``; ``cancelled()`` is polled between steps and frames.
    """
    emit = on_event or (lambda kind, fields: None)
    net, _ = load_net(weights)
    predictor = VideoPredictor(net, config, device, load_detector(config.detector, weights, str(device)))
    session = predictor.new_session()
    predictor.add_mask(session, mask_frame, annotated, mask)
    for stage, steps in (("finetune", predictor.fit(session)), ("segment", predictor.propagate(session, frames))):
        start = time.perf_counter()
        for done, item in enumerate(steps, 1):
            if cancelled():
                raise Cancelled()
            stage_total = item.total if stage == "finetune" else total
            emit("progress", Progress(stage, done, stage_total, time.perf_counter() - start).to_dict())
            if stage == "segment":
                yield item.index, item.matte


def load_job_inputs(job: SegmentJob) -> tuple:
    """Open the job's frames and read its mask: ``(source, annotated frame, mask)``."""
    source = open_frames(job.input)
    if job.mask_frame < 0:
        raise VosError(f"mask frame must be >= 0, got {job.mask_frame}")
    annotated = source[job.mask_frame]
    mask = read_mask(job.mask)
    if job.resize_mask and mask.shape != annotated.shape[:2]:
        mask = resize_mask(mask, annotated.shape[1], annotated.shape[0])
    if job.refine_mask:
        mask = grabcut_refine(annotated, mask)
    return source, annotated, mask


def run_job(job: SegmentJob, on_event: EventSink | None = None, cancelled: Callable[[], bool] = _never) -> Path:
    """Run a job end to end, writing a PNG matte sequence to ``job.output``; returns that folder."""
    emit = on_event or (lambda kind, fields: None)
    config = job.config()
    source, annotated, mask = load_job_inputs(job)
    device = pick_device(job.device)
    emit("started", {"device": describe(device), "frames": len(source), "preset": job.preset})
    start = time.perf_counter()
    with PngSequenceWriter(job.output) as writer:
        stream = segment_stream(
            source, annotated, mask, config, mask_frame=job.mask_frame, total=len(source),
            weights=job.weights, device=device, on_event=emit, cancelled=cancelled,
        )
        for index, matte in stream:
            writer.write(index, matte)
        if writer.count == 0:
            raise VosError(f"{job.input} has no frames")
    emit("done", {"output": str(writer.folder), "frames": writer.count, "seconds": time.perf_counter() - start})
    return writer.folder
