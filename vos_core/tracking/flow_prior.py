"""A pixel-level temporal prior: where the object was in the previous frame, moved by optical flow.

Beyond the paper (in the spirit of MaskTrack / OSVOS-S): the previous frame's mask is warped
into the current frame with dense optical flow (OpenCV DIS) and blurred to allow for flow
errors; the appearance map is then damped far from it, so distractors that look like the
object but appear elsewhere lose, and the box/CC filters start from a cleaner map. Only one
previous frame (at the network's resolution) is kept: memory does not grow with clip length.
"""

from __future__ import annotations

import cv2
import numpy as np


class FlowPrior:
    """Per-clip state: the previous frame (grey, network resolution) and the flow into the current one."""

    def __init__(self) -> None:
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
        self._previous: np.ndarray | None = None
        # For each current pixel, where it was in the previous frame (x and y maps for cv2.remap);
        # computed once per frame, shared by every object.
        self._coords: tuple[np.ndarray, np.ndarray] | None = None

    def advance(self, frame_small: np.ndarray) -> None:
        """Take the next frame (h×w×3 uint8 RGB at the network's resolution) and compute its flow."""
        grey = cv2.cvtColor(frame_small, cv2.COLOR_RGB2GRAY)
        self._coords = None
        if self._previous is not None and self._previous.shape == grey.shape:
            flow = self._dis.calc(grey, self._previous, None)
            h, w = grey.shape
            xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
            self._coords = (xs + flow[..., 0], ys + flow[..., 1])
        self._previous = grey

    def warp(self, previous: np.ndarray) -> np.ndarray | None:
        """``previous`` (h×w float32, aligned with the previous frame) moved into the current frame."""
        if self._coords is None:
            return None
        return cv2.remap(previous, *self._coords, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def small_mask(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """An H×W 0/255 mask at the network's resolution ``shape`` as float32 0..1 (what :meth:`FlowPrior.warp`
    moves); None for an empty mask: a lost object has no place to favour, and a prior of zeros would
    damp the whole map below the threshold, so the object could never be found again."""
    if not mask.any():
        return None
    return cv2.resize(mask, (shape[1], shape[0]), interpolation=cv2.INTER_AREA) / np.float32(255)


def apply_prior(prob: np.ndarray, warped: np.ndarray | None, weight: float, sigma: float) -> np.ndarray:
    """Damp ``prob`` (h×w float32 0..1) away from ``warped`` (the previous mask moved here, 0..1).

    ``prob × ((1 − weight) + weight × spread(warped))``: at weight 0 the map is unchanged; at 1
    it is kept only near where the object was (``sigma``, in pixels of ``warped``, is how far it may
    have moved beyond what the flow explains). The prior lives at the network's resolution; for a
    map of another size (a crop's map, pasted at the frame's) it is scaled to the map, its reach too.
    """
    if warped is None or weight <= 0:
        return prob
    if warped.shape != prob.shape:
        sigma *= prob.shape[0] / warped.shape[0]
        warped = cv2.resize(warped, (prob.shape[1], prob.shape[0]), interpolation=cv2.INTER_LINEAR)
    if sigma > 0:
        # Full prior within ``sigma`` of where the object was, fading beyond: the object may
        # move or grow that far unexplained, and only what lies further out is damped.
        radius = max(1, round(sigma))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        near = cv2.dilate(warped, kernel)
        warped = np.maximum(near, cv2.GaussianBlur(near, (0, 0), sigma / 2))
    return prob * ((1.0 - weight) + weight * warped)
