"""Segmenting outward from keyframes: which tracker runs a clip needs, and where they are joined.

Each object is tracked from every keyframe in both directions, up to its neighbouring keyframes
(or the ends of the range). Between two keyframes a forward run (from the left one) and a
backward run (from the right one) cover the same frames; the output switches from one to the
other at the frame where the two agree best, so there is no jump where they meet. The runs read
the maps and detections the predictor stored for the range (``clip_store.py``) and store their masks there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import cv2
import numpy as np

from .clip_store import ClipStore
from .config import SegmentConfig
from .errors import InputError
from .eval.metrics import jaccard
from .matte.upsample import upsample_map
from .tracking.flow_prior import FlowPrior, apply_prior, small_mask
from .tracking.tracker import ObjectTracker, TrackState


@dataclass(frozen=True)
class Keyframe:
    """A mask drawn on one frame of the clip: ``mask`` is H×W uint8 0/255."""

    frame: int
    mask: np.ndarray


@dataclass(frozen=True)
class Run:
    """One tracker pass: started at keyframe ``origin``, then stepped through ``frames`` in order."""

    origin: int
    frames: range

    @property
    def forward(self) -> bool:
        return self.frames.step > 0


def plan_runs(keyframes: Sequence[int], start: int, end: int) -> list[Run]:
    """The runs that cover frames ``start..end`` (inclusive) from the keyframes inside that range.

    Before the first keyframe only a backward run reaches, after the last only a forward one;
    every gap between two keyframes gets one run from each side.
    """
    inside = sorted({k for k in keyframes if start <= k <= end})
    if not inside:
        raise InputError(f"no keyframe inside frames {start}..{end}: draw the object on a frame in the range")
    runs = [Run(inside[0], range(inside[0] - 1, start - 1, -1))]
    for left, right in pairwise(inside):
        runs.append(Run(left, range(left + 1, right)))
        runs.append(Run(right, range(right - 1, left, -1)))
    runs.append(Run(inside[-1], range(inside[-1] + 1, end + 1)))
    return [run for run in runs if len(run.frames)]


def streams_forward(keyframes: Sequence[int], start: int, end: int) -> bool:
    """True when one forward pass does it all: the only keyframe in range is its first frame."""
    return {k for k in keyframes if start <= k <= end} == {start}


def join_index(agreement: Sequence[float]) -> int:
    """Where, in a gap of frames between two keyframes, the forward run hands over to the backward one.

    ``agreement[i]`` is the IoU of the two runs' masks on the gap's i-th frame. Returns the
    number of leading frames taken from the forward run: up to and including the frame of best
    agreement (ties: the one nearest the middle of the gap, where both runs are equally far from
    their keyframes).
    """
    if not len(agreement):
        return 0
    values = np.asarray(agreement, dtype=np.float64)
    middle = (len(values) - 1) / 2
    best = min(np.flatnonzero(values == values.max()), key=lambda i: abs(i - middle))
    return int(best) + 1


def track_outward(
    cfg: SegmentConfig,
    store: ClipStore,
    obj_id: int,
    keyframes: dict[int, np.ndarray],
    known: TrackState | None,
    start: int,
    end: int,
) -> list[bool]:
    """Run object ``obj_id``'s trackers from each of its ``keyframes`` (frame → H×W uint8 0/255 mask)
    in frames ``start..end`` over the stored maps; ``known`` is what the detector named it on its
    keyframes. Returns, per frame of the range, whether the output takes the forward run's mask
    (else the backward one's)."""
    relative = {k - start: mask for k, mask in keyframes.items()}
    for run in plan_runs(list(relative), 0, end - start):
        _track_run(cfg, store, obj_id, relative[run.origin], known, run)
    inside = sorted(k for k in relative if 0 <= k <= end - start)
    forward = [i > inside[0] for i in range(store.n)]
    for left, right in pairwise(inside):
        gap = range(left + 1, right)
        agreement = [jaccard(store.mask(obj_id, True, t), store.mask(obj_id, False, t)) for t in gap]
        for t in gap[join_index(agreement):]:
            forward[t] = False
    return forward


def _track_run(
    cfg: SegmentConfig, store: ClipStore, obj_id: int, mask: np.ndarray, known: TrackState | None, run: Run,
) -> None:
    """One tracker pass over stored maps, from the keyframe ``mask`` on frame ``run.origin`` (store indices)."""
    tracker = ObjectTracker(cfg)
    tracker.start(mask, store.detections[run.origin], known)
    prior = FlowPrior() if cfg.prior_weight > 0 else None
    if prior is not None:
        prior.advance(store.small[run.origin])
        previous = small_mask(mask, store.small.shape[1:])
    # Without the frame at hand, bilinear upsampling needs only its size; the guided mode is
    # guided by the network-resolution frame scaled up.
    height, width = store.full_shape
    size_only = np.broadcast_to(np.zeros(3, np.uint8), (height, width, 3))
    for t in run.frames:
        prob = store.map_at(obj_id, t)
        if prior is not None:
            prior.advance(store.small[t])
            warped = None if previous is None else prior.warp(previous)
            prob = apply_prior(prob, warped, cfg.prior_weight, cfg.prior_sigma)
        guide = cv2.resize(store.small[t], (width, height)) if cfg.upsample == "guided" else size_only
        mask_t = tracker.step(upsample_map(prob, guide, cfg.upsample), store.detections[t])
        store.put_mask(obj_id, run.forward, t, mask_t, tracker.state.missed)
        if prior is not None:
            previous = small_mask(mask_t, store.small.shape[1:])
