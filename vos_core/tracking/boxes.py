"""Box geometry. A box is ``(x0, y0, x1, y1)`` in pixels, x1/y1 exclusive, floats allowed."""

from __future__ import annotations

import numpy as np

Box = tuple[float, float, float, float]


def box_area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when either is empty)."""
    inter = box_area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))
    union = box_area(a) + box_area(b) - inter
    return inter / union if union > 0 else 0.0


def mask_box(mask: np.ndarray) -> Box | None:
    """Bounding box of the non-zero pixels of an H×W mask, or None if it is empty."""
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return None
    return float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)


def box_slices(box: Box, shape: tuple[int, ...]) -> tuple[slice, slice]:
    """Row and column slices of the pixels a box covers, clipped to an image of ``shape``."""
    h, w = shape[:2]
    x0, y0 = max(0, int(np.floor(box[0]))), max(0, int(np.floor(box[1])))
    x1, y1 = min(w, int(np.ceil(box[2]))), min(h, int(np.ceil(box[3])))
    return slice(y0, max(y0, y1)), slice(x0, max(x0, x1))


def box_mask_iou(box: Box, mask: np.ndarray) -> float:
    """IoU between the box region and a binary H×W mask: how well the box fits the object."""
    fg = mask > 0
    rows, cols = box_slices(box, fg.shape)
    inside = np.count_nonzero(fg[rows, cols])
    box_pixels = (rows.stop - rows.start) * (cols.stop - cols.start)
    union = box_pixels + np.count_nonzero(fg) - inside
    return inside / union if union > 0 else 0.0


def expand_box(box: Box, fraction: float) -> Box:
    """``box`` grown by ``fraction`` of its width and height on every side."""
    dx, dy = fraction * (box[2] - box[0]), fraction * (box[3] - box[1])
    return box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy
