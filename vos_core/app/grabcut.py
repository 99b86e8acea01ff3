"""OpenCV GrabCut on a label image: the one GrabCut call shared by mask refinement and scribbles.

Labels are OpenCV's: ``cv2.GC_BGD``/``GC_FGD`` (fixed) and ``GC_PR_BGD``/``GC_PR_FGD`` (decided by GrabCut).
"""

from __future__ import annotations

import cv2
import numpy as np


def grabcut(frame: np.ndarray, labels: np.ndarray, iterations: int = 3) -> np.ndarray:
    """Run GrabCut on ``frame`` (H×W×3 uint8 RGB) from ``labels`` (H×W uint8 GC_* values); returns the
    H×W bool object mask (pixels GrabCut labels sure or probable foreground)."""
    labels = labels.copy()
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    image = np.ascontiguousarray(frame[..., ::-1])  # GrabCut models colour; BGR order is OpenCV's habit
    cv2.grabCut(image, labels, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    return np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD))


def disc(radius: int) -> np.ndarray:
    """An elliptical structuring element of the given radius (pixels)."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
