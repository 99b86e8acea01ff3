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


def mean_filter(image: np.ndarray, radius: int) -> np.ndarray:
    """Mean of ``image`` over a (2·radius+1)² window, edges reflected."""
    return cv2.boxFilter(image, -1, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Guided filter of ``src`` (H×W float32) by ``guide`` (H×W float32 in 0..1), grey guide."""
    mean_i, mean_p = mean_filter(guide, radius), mean_filter(src, radius)
    cov_ip = mean_filter(guide * src, radius) - mean_i * mean_p
    var_i = mean_filter(guide * guide, radius) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return mean_filter(a, radius) * guide + mean_filter(b, radius)


def domain_transform_filter(
    guide: np.ndarray, src: np.ndarray, sigma_s: float, sigma_r: float, iterations: int = 3
) -> np.ndarray:
    """Joint domain-transform recursive filter (Gastal & Oliveira 2011) of ``src`` (H×W float32)
    guided by ``guide`` (H×W×C float32 in 0..1): smoothing of spatial scale ``sigma_s`` pixels
    that stops at guide edges of contrast well above ``sigma_r``. H×W float32.

    Alternating horizontal and vertical passes, each a recursive filter run both ways whose
    feedback weakens with the guide's gradient; the scale falls per iteration as in the paper.
    """
    guide = guide.reshape(*guide.shape[:2], -1)
    ratio = sigma_s / sigma_r
    dx = 1.0 + ratio * np.abs(np.diff(guide, axis=1)).sum(axis=2)  # H×(W-1): distance between columns
    dy = 1.0 + ratio * np.abs(np.diff(guide, axis=0)).sum(axis=2)  # (H-1)×W: between rows
    out = src.astype(np.float32)
    for i in range(iterations):
        sigma_h = sigma_s * np.sqrt(3.0) * 2.0 ** (iterations - i - 1) / np.sqrt(4.0**iterations - 1)
        a = np.exp(-np.sqrt(2.0) / sigma_h)
        out = _recursive_pass(out, (a**dx).astype(np.float32))
        out = _recursive_pass(out.T, (a**dy).T.astype(np.float32)).T
    return np.ascontiguousarray(out)


def _recursive_pass(image: np.ndarray, feedback: np.ndarray) -> np.ndarray:
    """One left-to-right then right-to-left recursive filter along the rows of ``image``;
    ``feedback[:, x]`` is how much of column x carries into column x + 1 (and back)."""
    out = np.array(image, dtype=np.float32, order="F")  # column slices are contiguous
    for x in range(1, out.shape[1]):
        out[:, x] += feedback[:, x - 1] * (out[:, x - 1] - out[:, x])
    for x in range(out.shape[1] - 2, -1, -1):
        out[:, x] += feedback[:, x] * (out[:, x + 1] - out[:, x])
    return out


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
