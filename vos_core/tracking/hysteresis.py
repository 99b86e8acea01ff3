"""Turning an appearance map into a mask with the help of the selected boxes.

``hysteresis_filter`` is the paper's connected-component filter (Canny-style: strong components
that touch a box, then weak components that touch those); ``box_clip`` is the weaker baseline
that only zeroes the map outside the box.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .boxes import Box, box_slices


def _components(binary: np.ndarray) -> np.ndarray:
    """Label map of 8-connected components (0 = background)."""
    _, labels = cv2.connectedComponents(binary.astype(np.uint8), connectivity=8)
    return labels


def components_touching(binary: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The connected components of ``binary`` that share at least one pixel with ``region`` (both H×W bool)."""
    labels = _components(binary)
    keep = np.unique(labels[region & binary])
    keep = keep[keep > 0]
    return np.isin(labels, keep) if keep.size else np.zeros(binary.shape, bool)


def boxes_region(boxes: Sequence[Box], shape: tuple[int, ...]) -> np.ndarray:
    """H×W bool image that is True inside any of ``boxes``."""
    region = np.zeros(shape[:2], bool)
    for box in boxes:
        region[box_slices(box, shape)] = True
    return region


def hysteresis_filter(prob: np.ndarray, boxes: Sequence[Box], high: float, low: float) -> np.ndarray:
    """Final mask (H×W uint8 0/255) from a map (H×W float32 0..1) and the selected boxes.

    Pass 1 keeps the components of ``prob >= high`` that intersect a box; pass 2 adds the
    components of ``prob >= low`` that intersect the pass-1 mask. With no box, every strong
    component counts (nothing to filter by).
    """
    strong = prob >= high
    if boxes:
        strong = components_touching(strong, boxes_region(boxes, prob.shape))
    final = components_touching(prob >= low, strong)
    return np.where(final, 255, 0).astype(np.uint8)


def box_clip(prob: np.ndarray, boxes: Sequence[Box], threshold: float) -> np.ndarray:
    """Baseline: threshold the map, keeping only pixels inside the boxes (all pixels if none)."""
    mask = prob > threshold
    if boxes:
        mask &= boxes_region(boxes, prob.shape)
    return np.where(mask, 255, 0).astype(np.uint8)
