"""Training-time augmentation of a frame and its mask: resize, rotation, mirror.

One place for the parameters, shared by parent training and one-shot fine-tuning.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..config import AugmentParams

AUGMENT = AugmentParams()


def augment(
    image: np.ndarray, mask: np.ndarray, rng: np.random.Generator, params: AugmentParams = AUGMENT
) -> tuple[np.ndarray, np.ndarray]:
    """Return a randomly resized, rotated and mirrored copy of ``image`` (H×W×3) and ``mask`` (H×W).

    The output size follows the random scale; rotation keeps it, filling the image by
    reflection (no artificial black wedges to learn) and the mask with background.
    """
    scale = rng.uniform(*params.scale_range)
    h, w = mask.shape
    size = (max(32, round(w * scale)), max(32, round(h * scale)))
    image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    mask = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
    angle = rng.uniform(-params.max_rotation, params.max_rotation)
    rot = cv2.getRotationMatrix2D((size[0] / 2, size[1] / 2), angle, 1.0)
    image = cv2.warpAffine(image, rot, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    mask = cv2.warpAffine(mask, rot, size, flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT)
    if params.mirror and rng.random() < 0.5:
        image, mask = image[:, ::-1], mask[:, ::-1]
    return np.ascontiguousarray(image), np.ascontiguousarray(mask)


def resize_to_height(image: np.ndarray, height: int, interpolation: int = cv2.INTER_AREA) -> np.ndarray:
    """Scale an image to ``height`` rows keeping its aspect ratio."""
    h, w = image.shape[:2]
    if h == height:
        return image
    return cv2.resize(image, (max(1, round(w * height / h)), height), interpolation=interpolation)
