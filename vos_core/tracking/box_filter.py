"""Choosing each object's box among the detector's boxes (paper §3.3).

Pure functions; the per-object state they read and update lives in :mod:`vos_core.tracking.tracker`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .boxes import Box, box_iou, box_mask_iou, mask_box
from .detection import Detection
from .hysteresis import boxes_region, components_touching


def initial_detections(mask: np.ndarray, detections: Sequence[Detection], min_iou: float) -> list[Detection]:
    """Frame 0: the detections whose box overlaps the annotated mask's box by IoU >= ``min_iou``, best first.

    Their classes are the object's classes from then on (a camel may come as "horse" and "cow").
    """
    target = mask_box(mask)
    if target is None:
        return []
    scored = [(box_iou(d.box, target), d) for d in detections]
    return [d for iou, d in sorted(scored, key=lambda s: -s[0]) if iou >= min_iou]


def appearance_select(
    detections: Sequence[Detection],
    classes: frozenset[int],
    fg: np.ndarray,
    previous: Box | None = None,
    temporal_iou: float = 0.0,
) -> Detection | None:
    """Later frames: among detections of the object's classes, the box that best fits the map.

    ``fg`` is the thresholded map (H×W bool). With ``previous`` given (temporal filter), only
    boxes with IoU >= ``temporal_iou`` against it compete, so the track cannot jump to another
    instance of the same class. Returns None when no box overlaps the map at all.
    """
    best, best_fit = None, 0.0
    for det in detections:
        if det.class_id not in classes:
            continue
        if previous is not None and box_iou(det.box, previous) < temporal_iou:
            continue
        fit = box_mask_iou(det.box, fg)
        if fit > best_fit:
            best, best_fit = det, fit
    return best


def track_by_components(fg: np.ndarray, previous: Box) -> Box | None:
    """Objects the detector cannot name: the box of the map components touching the previous box."""
    return mask_box(components_touching(fg, boxes_region([previous], fg.shape)))
