"""DAVIS measures: region similarity J (IoU) and boundary F-measure, as the DAVIS toolkit computes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

BOUNDARY_TOLERANCE = 0.008  # of the image diagonal


def jaccard(pred: np.ndarray, gt: np.ndarray) -> float:
    """IoU of two H×W masks (non-zero = object); 1.0 when both are empty."""
    pred, gt = pred > 0, gt > 0
    union = np.count_nonzero(pred | gt)
    return 1.0 if union == 0 else np.count_nonzero(pred & gt) / union


def boundary_map(mask: np.ndarray) -> np.ndarray:
    """One-pixel boundary of a mask: pixels differing from their right, lower or lower-right neighbour."""
    seg = mask > 0
    right, down, diag = np.zeros_like(seg), np.zeros_like(seg), np.zeros_like(seg)
    right[:, :-1], down[:-1, :], diag[:-1, :-1] = seg[:, 1:], seg[1:, :], seg[1:, 1:]
    edge = (seg ^ right) | (seg ^ down) | (seg ^ diag)
    edge[-1, :] = seg[-1, :] ^ right[-1, :]
    edge[:, -1] = seg[:, -1] ^ down[:, -1]
    edge[-1, -1] = False
    return edge


def _disk(radius: int) -> np.ndarray:
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return (xx**2 + yy**2 <= radius**2).astype(np.uint8)


def f_measure(pred: np.ndarray, gt: np.ndarray, tolerance: float = BOUNDARY_TOLERANCE) -> float:
    """Boundary F-measure; boundary pixels match within ``ceil(tolerance × diagonal)`` pixels."""
    radius = int(np.ceil(tolerance * np.hypot(*gt.shape[:2])))
    pred_b, gt_b = boundary_map(pred), boundary_map(gt)
    n_pred, n_gt = np.count_nonzero(pred_b), np.count_nonzero(gt_b)
    if n_pred == 0 and n_gt == 0:
        return 1.0
    if n_pred == 0 or n_gt == 0:
        return 0.0  # DAVIS: precision or recall is 0, so F is 0
    disk = _disk(radius)
    gt_near = cv2.dilate(gt_b.astype(np.uint8), disk) > 0
    pred_near = cv2.dilate(pred_b.astype(np.uint8), disk) > 0
    precision = np.count_nonzero(pred_b & gt_near) / n_pred
    recall = np.count_nonzero(gt_b & pred_near) / n_gt
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class Statistics:
    """DAVIS summary of per-frame scores: mean, recall (fraction > 0.5) and decay."""

    mean: float
    recall: float
    decay: float


def summarize(values: Sequence[float], n_bins: int = 4) -> Statistics:
    """Mean, recall and decay (first-quarter mean minus last-quarter mean) as the DAVIS toolkit does."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return Statistics(float("nan"), float("nan"), float("nan"))
    ids = np.round(np.linspace(1, len(x), n_bins + 1) + 1e-10).astype(int) - 1
    bins = [x[ids[i] : ids[i + 1] + 1] for i in range(n_bins)]
    with np.errstate(invalid="ignore"):
        decay = float(np.nanmean(bins[0]) - np.nanmean(bins[-1])) if bins[0].size and bins[-1].size else 0.0
    return Statistics(float(x.mean()), float(np.mean(x > 0.5)), decay)
