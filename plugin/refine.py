"""Snapping a roughly drawn first-frame mask to the object's edges with OpenCV GrabCut."""

from __future__ import annotations

import cv2
import numpy as np

from vos_core import VosError
from vos_core.app.grabcut import disc, grabcut

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
    kernel = disc(band)
    labels = np.full(drawn.shape, cv2.GC_BGD, np.uint8)
    labels[cv2.dilate(drawn, kernel) > 0] = cv2.GC_PR_BGD
    labels[drawn > 0] = cv2.GC_PR_FGD
    labels[cv2.erode(drawn, kernel) > 0] = cv2.GC_FGD
    return np.where(grabcut(frame, labels, iterations), 255, 0).astype(np.uint8)
