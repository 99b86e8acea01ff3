"""How much to trust each frame's mask, computed while segmenting, and where to correct next.

A :class:`ConfidenceTrack` takes each :class:`~vos_core.predictor.FrameResult` as it streams out
and turns it into a confidence in [0, 1] per object: an estimate of the mask's IoU with the truth.
Per object it keeps only the previous frame's mask (at a reduced size), its area and centroid and
the keyframe's area, so memory stays flat in clip length (besides one float per frame and object
for the report).

The confidence is a logistic model of signals the pipeline already has (:data:`SIGNALS`), fitted
with the frames' true IoU as soft targets on the DAVIS-2016 dev clips by
``benchmarks/confidence.py`` (which also reports its leave-one-clip-out correlation).
:func:`suggest_corrections` turns a finished track into the frames where a correction keyframe
should help most.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .predictor import FrameResult

#: Signals are computed on masks and maps scaled to this height (pixels): cheap, and enough.
SIGNAL_HEIGHT = 120
#: Half-width (pixels at SIGNAL_HEIGHT) of the band around the mask edge whose certainty is measured.
BAND = 3
#: Frames in a row without a box beyond which "lost" saturates.
LOST_CAP = 10

SIGNALS = (
    "edge_certainty",  # mean |2p - 1| of the map in a band around the mask edge
    "inside_mean",  # mean map value inside the mask
    "outside_mass",  # map pixels >= 0.5 outside the mask, relative to the mask's area (log1p)
    "lost",  # frames in a row the track found no box, capped, / LOST_CAP
    "area_jump",  # |log| of the area ratio to the previous frame
    "area_vs_key",  # |log| of the area ratio to the keyframe's
    "centroid_jump",  # centroid shift from the previous frame / sqrt(previous area)
    "prev_iou",  # IoU with the previous frame's mask
    "empty",  # 1 when the mask is empty
)

# Fitted by benchmarks/confidence.py (logistic, soft IoU targets, on the 10 DAVIS-2016 dev clips,
# preset fast maps from .cache/accuracy_curve/it100_h240_f4): standardisation and weights per signal.
# Greedy forward selection kept the edge band's certainty and the agreement with the previous
# mask; the others add less than 0.005 Spearman (the track never lost its box on these clips).
# Leave-one-clip-out: pooled Spearman with IoU 0.86, see benchmarks/results/confidence.json.
MEANS = np.array([0.7503, 0.9523, 0.2242, 0.0000, 0.0743, 0.4098, 0.0657, 0.7488, 0.0000], np.float32)
SCALES = np.array([0.0787, 0.0311, 0.2883, 1.0000, 0.1299, 0.4342, 0.0991, 0.1936, 1.0000], np.float32)
WEIGHTS = np.array([0.5597, 0.0000, 0.0000, 0.0000, 0.0000, 0.0000, 0.0000, 0.4796, 0.0000], np.float32)
BIAS = 1.0782

#: Below this confidence (an estimated IoU) a frame counts as low (the report's "low" flag).
LOW = 0.5
#: Low runs separated by at most this many frames are one run.
RUN_GAP = 2


@dataclass
class _ObjectMemory:
    """What one object's signals need from earlier frames: O(1) in clip length."""

    previous: np.ndarray | None = None  # h×w bool, the previous mask at SIGNAL_HEIGHT
    area: float = 0.0  # previous mask's area (pixels at SIGNAL_HEIGHT)
    centroid: tuple[float, float] = (0.0, 0.0)
    key_area: float | None = None


@dataclass(frozen=True)
class FrameConfidence:
    """One frame of the track: confidence per object in [0, 1] and flags (e.g. "box lost", "low")."""

    index: int
    confidence: dict[int, float]
    flags: dict[int, tuple[str, ...]]

    @property
    def lowest(self) -> float:
        """The least confident object's confidence (1.0 with no object)."""
        return min(self.confidence.values(), default=1.0)

    def to_dict(self) -> dict:
        """JSON-ready: frame, confidence and flags keyed by object id (as strings)."""
        return {"frame": self.index, "confidence": {str(k): round(v, 4) for k, v in self.confidence.items()},
                "flags": {str(k): list(v) for k, v in self.flags.items() if v}}


def _small(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    scale = SIGNAL_HEIGHT / height
    return cv2.resize(image, (max(1, round(width * scale)), SIGNAL_HEIGHT), interpolation=cv2.INTER_AREA)


def _centroid(mask: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(mask)
    return (float(xs.mean()), float(ys.mean())) if len(xs) else (0.0, 0.0)


def frame_signals(prob: np.ndarray, mask: np.ndarray, lost: int, memory: _ObjectMemory) -> np.ndarray:
    """The :data:`SIGNALS` of one object on one frame, updating ``memory`` for the next frame.

    ``prob``: H×W float32 0..1 map; ``mask``: H×W uint8 0/255; ``lost``: FrameResult.lost.
    Returns a float32 vector in the order of :data:`SIGNALS`.
    """
    p = _small(prob.astype(np.float32))
    m = _small(mask) >= 128
    area = float(np.count_nonzero(m))
    kernel = np.ones((2 * BAND + 1, 2 * BAND + 1), np.uint8)
    m8 = m.astype(np.uint8)
    band = (cv2.dilate(m8, kernel) - cv2.erode(m8, kernel)) > 0
    edge_certainty = float(np.abs(2 * p[band] - 1).mean()) if band.any() else 0.0
    inside_mean = float(p[m].mean()) if area else 0.0
    outside_mass = float(np.log1p(np.count_nonzero((p >= 0.5) & ~m) / max(area, 1.0)))
    if memory.key_area is None:
        memory.key_area = area
    centroid = _centroid(m)
    if memory.previous is None:
        area_jump = centroid_jump = 0.0
        prev_iou = 1.0
    else:
        area_jump = abs(np.log((area + 1) / (memory.area + 1)))
        centroid_jump = float(np.hypot(centroid[0] - memory.centroid[0], centroid[1] - memory.centroid[1]))
        centroid_jump = min(centroid_jump / np.sqrt(max(memory.area, 1.0)), 5.0) if area and memory.area else 5.0
        union = np.count_nonzero(m | memory.previous)
        prev_iou = np.count_nonzero(m & memory.previous) / union if union else 1.0
    area_vs_key = abs(np.log((area + 1) / (memory.key_area + 1)))
    memory.previous, memory.area, memory.centroid = m, area, centroid
    return np.array([edge_certainty, inside_mean, outside_mass, min(lost, LOST_CAP) / LOST_CAP, area_jump,
                     area_vs_key, centroid_jump, prev_iou, float(area == 0)], np.float32)


def score(signals: np.ndarray) -> np.ndarray:
    """Confidence in [0, 1] from signal vectors (..×len(SIGNALS)) with the fitted weights."""
    z = (signals - MEANS) / SCALES
    return 1.0 / (1.0 + np.exp(-(z @ WEIGHTS + BIAS)))


@dataclass
class ConfidenceTrack:
    """Per-frame, per-object confidence of a segmentation, fed one FrameResult at a time.

    ``keyframes`` maps object ids to their keyframe indices: a keyframe's mask was drawn, so its
    confidence is 1. Frames are expected in order (as ``propagate`` yields them).
    """

    keyframes: dict[int, set[int]] = field(default_factory=dict)
    frames: list[FrameConfidence] = field(default_factory=list)
    _memory: dict[int, _ObjectMemory] = field(default_factory=dict)

    def update(self, result: FrameResult) -> FrameConfidence:
        """Confidence of each object on ``result``'s frame; appended to :attr:`frames`."""
        confidence, flags = {}, {}
        for oid, mask in result.masks.items():
            memory = self._memory.setdefault(oid, _ObjectMemory())
            lost = result.lost.get(oid, 0)
            signals = frame_signals(result.maps[oid], mask, lost, memory)
            keyframe = result.index in self.keyframes.get(oid, ())
            if keyframe:
                memory.key_area = memory.area  # later frames compare their area with the nearest keyframe
            confidence[oid] = 1.0 if keyframe else float(score(signals))
            flags[oid] = tuple(name for name, on in (("keyframe", keyframe), ("box lost", lost > 0),
                                                      ("empty", signals[-1] > 0), ("low", confidence[oid] < LOW)) if on)
        frame = FrameConfidence(result.index, confidence, flags)
        self.frames.append(frame)
        return frame


def low_runs(track: ConfidenceTrack, low: float = LOW, gap: int = RUN_GAP) -> list[tuple[int, int, float]]:
    """Runs of low-confidence frames as ``(first, last, deficit)``, the worst first.

    A frame is low when its least confident object is below ``low``; runs at most ``gap`` frames
    apart are merged; ``deficit`` sums ``low - confidence`` over the run's low frames, so a long
    run of bad frames outranks a single very bad one.
    """
    runs: list[list] = []
    for frame in track.frames:
        if frame.lowest >= low:
            continue
        if runs and frame.index - runs[-1][1] <= gap + 1:
            runs[-1][1] = frame.index
            runs[-1][2] += low - frame.lowest
        else:
            runs.append([frame.index, frame.index, low - frame.lowest])
    return sorted((tuple(r) for r in runs), key=lambda r: -r[2])


def suggest_corrections(track: ConfidenceTrack, count: int = 1) -> list[int]:
    """Up to ``count`` frames to draw a correction on, the most useful first.

    For each low-confidence run, worst run first: the frame that splits the run's deficit in
    two halves. A keyframe is propagated outward both ways, so one drawn inside the run covers
    the frames on either side of it; its start would only cover those after it. With no low
    run, the least confident frame that is not a keyframe. Empty when every frame is a keyframe.
    """
    lowest = {f.index: f.lowest for f in track.frames}
    picks = []
    for first, last, deficit in low_runs(track)[:count]:
        total = 0.0
        for index in range(first, last + 1):
            total += max(LOW - lowest.get(index, LOW), 0.0)
            if total >= deficit / 2:
                picks.append(index)
                break
    if picks:
        return picks
    candidates = [f for f in track.frames if not any(f.index in keys for keys in track.keyframes.values())]
    return [min(candidates, key=lambda f: f.lowest).index] if candidates else []
