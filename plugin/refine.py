"""Snapping a roughly drawn first-frame mask to the object's edges with OpenCV GrabCut."""

from __future__ import annotations

import cv2
import numpy as np

from vos_core import VosError

#: Band (pixels, at the mask's resolution) either side of the drawn outline that GrabCut may relabel.
DEFAULT_BAND = 8


def grabcut_refine(frame: np.ndarray, mask: np.ndarray, band: int = DEFAULT_BAND, iterations: int = 3) -> np.ndarray:
    """Return ``mask`` (H×W, nonzero = object) refined against ``frame`` (H×W×3 uint8 RGB), as 0/255 uint8.

    Pixels deeper than ``band`` inside/outside the drawn outline are fixed as sure object/background;
    only the band between is decided by GrabCut, so a refined mask cannot drift far from the drawing.
    """
    drawn = (mask > 0).astype(np.uint8)
    if not drawn.any():
        raise VosError("the first-frame mask is empty: nothing to refine")
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    labels = np.full(drawn.shape, cv2.GC_BGD, np.uint8)
    labels[cv2.dilate(drawn, kernel) > 0] = cv2.GC_PR_BGD
    labels[drawn > 0] = cv2.GC_PR_FGD
    labels[cv2.erode(drawn, kernel) > 0] = cv2.GC_FGD
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    image = np.ascontiguousarray(frame[..., ::-1])  # GrabCut models colour; BGR order is OpenCV's habit
    cv2.grabCut(image, labels, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    refined = np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD))
    return np.where(refined, 255, 0).astype(np.uint8)
