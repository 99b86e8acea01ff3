"""From the network's map to a map at the frame's resolution.

The network sees frames scaled down (``infer_height``); a bilinear upsampling of its map
draws soft, rounded outlines. ``guided`` re-aligns the upsampled map with the frame's edges
using the guided filter (He et al. 2010): inside every window the output is a linear function
of the frame's intensity, so the map's transitions move to where the image changes. It is a
handful of box filters, O(pixels) whatever the radius.
"""

from __future__ import annotations

import cv2
import numpy as np


def _box(image: np.ndarray, radius: int) -> np.ndarray:
    return cv2.boxFilter(image, -1, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Guided filter of ``src`` (H×W float32) by ``guide`` (H×W float32 in 0..1), grey guide."""
    mean_i, mean_p = _box(guide, radius), _box(src, radius)
    cov_ip = _box(guide * src, radius) - mean_i * mean_p
    var_i = _box(guide * guide, radius) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return _box(a, radius) * guide + _box(b, radius)


def grey_guide(frame: np.ndarray) -> np.ndarray:
    """The guide image of ``frame`` (H×W×3 uint8 RGB): its grey level, H×W float32 in 0..1."""
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0


def upsample_map(
    prob: np.ndarray, frame: np.ndarray, mode: str = "bilinear", radius: int = 8, eps: float = 1e-3
) -> np.ndarray:
    """``prob`` (h×w float32 0..1) resized to ``frame``'s H×W (frame H×W×3 uint8 RGB), float32 0..1.

    ``mode`` is "bilinear" or "guided" (edge-aligned to the frame; ``radius`` in frame pixels,
    ``eps`` the edge sensitivity: smaller follows weaker edges).
    """
    h, w = frame.shape[:2]
    up = prob if prob.shape == (h, w) else cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR)
    if mode == "bilinear":
        return up
    return np.clip(guided_filter(grey_guide(frame), up, radius, eps), 0.0, 1.0)
