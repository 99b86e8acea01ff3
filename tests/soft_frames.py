"""A real DAVIS frame with a map and mask shaped like the pipeline's, for the soft-matte tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from vos_core import read_image, read_mask


def davis_frame(davis_root: Path, index: int, seq: str = "blackswan") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(H×W×3 uint8 frame, H×W float32 map, H×W uint8 0/255 mask) of a DAVIS frame: the map is the
    ground truth blurred the way an upsampled network map is, the mask its 0.7 level."""
    frame = read_image(davis_root / f"JPEGImages/480p/{seq}/{index:05d}.jpg")
    gt = read_mask(davis_root / f"Annotations/480p/{seq}/{index:05d}.png")
    prob = cv2.GaussianBlur(gt.astype(np.float32) / 255, (0, 0), 3.0)
    return frame, prob, np.where(prob >= 0.7, 255, 0).astype(np.uint8)
