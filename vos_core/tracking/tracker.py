"""Per-object tracking state and the per-frame rule that turns a map into the object's mask.

One :class:`ObjectTracker` per target keeps everything that carries from frame to frame
(classes, previous box, missed frames), so the pipeline still streams one frame at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..config import SegmentConfig
from .box_filter import appearance_select, initial_detections, track_by_components
from .boxes import Box, expand_box, mask_box
from .detection import Detection
from .hysteresis import box_clip, hysteresis_filter


@dataclass
class TrackState:
    """What is remembered about one object between frames."""

    classes: frozenset[int] = frozenset()
    box: Box | None = None
    missed: int = 0  # frames in a row without an acceptable detection
    labels: tuple[str, ...] = field(default_factory=tuple)

    @property
    def categorized(self) -> bool:
        return bool(self.classes)


class ObjectTracker:
    """Box selection (appearance + temporal filters, uncategorized fallback) and the final mask."""

    def __init__(self, config: SegmentConfig) -> None:
        self.config = config
        self.state = TrackState()

    @property
    def uses_boxes(self) -> bool:
        return self.config.postprocess != "threshold"

    def start(self, mask: np.ndarray, detections: Sequence[Detection], known: TrackState | None = None) -> None:
        """Initialise from an annotated mask (H×W uint8 0/255) and that frame's detections.

        ``known`` carries the classes found on the object's other keyframes (see
        :func:`keyframe_classes`): a keyframe where the detector misses the object (occluded,
        blurred) still tracks it by class instead of falling back to connected components.
        """
        chosen = initial_detections(mask, detections, self.config.init_iou)
        self.state = TrackState(
            classes=frozenset(d.class_id for d in chosen) | (known.classes if known else frozenset()),
            box=chosen[0].box if chosen else mask_box(mask),
            labels=tuple(dict.fromkeys([*(d.label for d in chosen), *(known.labels if known else ())])),
        )

    def select_box(self, fg: np.ndarray, detections: Sequence[Detection]) -> Box | None:
        """This frame's box for the object, updating the track; None if there is nothing to go by."""
        cfg, state = self.config, self.state
        temporal = cfg.temporal and state.box is not None
        box = None
        if state.categorized:
            # After a long gap the old box says little: re-acquire by appearance alone.
            previous = state.box if temporal and state.missed <= cfg.max_missed else None
            det = appearance_select(detections, state.classes, fg, previous, cfg.temporal_iou)
            box = det.box if det else None
        if box is None and temporal:
            box = track_by_components(fg, state.box)
        if box is None:
            state.missed += 1
            return state.box if temporal else None
        state.box, state.missed = box, 0
        return box

    def step(self, prob: np.ndarray, detections: Sequence[Detection]) -> np.ndarray:
        """Mask (H×W uint8 0/255) of the object in a frame, from its map (H×W float32 0..1)."""
        cfg = self.config
        if not self.uses_boxes:
            return np.where(prob > cfg.threshold, 255, 0).astype(np.uint8)
        box = self.select_box(prob > cfg.threshold, detections)
        boxes = [box] if box is not None else []
        if cfg.postprocess == "clip":
            # Clipping cuts whatever pokes out of the box, and detector boxes often miss limbs
            # or wheels by a few pixels: clip at a margin around it.
            return box_clip(prob, [expand_box(b, cfg.clip_margin) for b in boxes], cfg.threshold)
        return hysteresis_filter(prob, boxes, *cfg.hysteresis_thresholds)


def keyframe_classes(config: SegmentConfig, keyframes: Sequence[tuple[np.ndarray, Sequence[Detection]]]) -> TrackState:
    """The classes (and their names) the detector gives an object on any of its keyframes:
    ``(mask, that frame's detections)`` pairs, as :meth:`ObjectTracker.start` reads them."""
    chosen = [d for mask, detections in keyframes for d in initial_detections(mask, detections, config.init_iou)]
    return TrackState(classes=frozenset(d.class_id for d in chosen), labels=tuple(dict.fromkeys(d.label for d in chosen)))
