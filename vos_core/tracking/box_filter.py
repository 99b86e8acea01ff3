"""Choosing each object's box among the detector's boxes (paper §3.3).

Pure functions; the per-object state they read and update lives in :mod:`vos_core.tracking.tracker`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .boxes import Box, box_iou, box_mask_iou, mask_box
from .detection import Detection
from .hysteresis import boxes_region, components_touching

#: A detection whose box holds less than this share of the map's components it touches cuts
#: through the object's map instead of framing it: another instance beside the object, or a part
#: of it (a spectator's box over a dancer's legs). Choosing it would clip the object; with no box
#: the filters fall back to the map (or to tracking by components). Shares of the components it
#: touches, not of the whole map, so a distractor lit up elsewhere does not disqualify the
#: object's own box.
MIN_HELD = 0.5


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
    instance of the same class. Returns None when no box overlaps the map at all, or when the
    best-fitting box holds less than ``MIN_HELD`` of the map components it touches.
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
    return best if best is not None and held_share(best.box, fg) >= MIN_HELD else None


def held_share(box: Box, fg: np.ndarray) -> float:
    """The share of the pixels of ``fg``'s components touching ``box`` that lie inside it (0 if none)."""
    region = boxes_region([box], fg.shape)
    touched = components_touching(fg, region)
    total = np.count_nonzero(touched)
    return np.count_nonzero(touched & region) / total if total else 0.0


def track_by_components(fg: np.ndarray, previous: Box) -> Box | None:
    """Objects the detector cannot name: the box of the map components touching the previous box."""
    return mask_box(components_touching(fg, boxes_region([previous], fg.shape)))
