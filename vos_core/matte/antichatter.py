"""Anti-chatter: motion-compensated temporal smoothing of soft alpha, and a measure of chatter.

A matte edge that moves a pixel back and forth from frame to frame flickers on playback even when
every single frame looks right. The previous frame's alpha is moved into the current frame with
dense optical flow (OpenCV DIS, as the flow prior uses it) and blended with the current alpha,
but only where the flow can be trusted: forward and backward flow must agree (a pixel carried
forward and back lands where it started), so occlusions and fast, badly tracked edges keep
the current alpha instead of ghosting. The filter is recursive: it keeps one previous grey frame
and one previous alpha per object, so memory does not grow with the clip.

The same flow gives a measure of chatter that needs no ground truth: per frame, the mean
``|α_t − warp(α_{t−1})|`` over the band around the matte's edge where the flow is consistent.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..tracking.flow_prior import FlowPrior
from .alpha import signed_distance

#: Forward-backward disagreement (pixels) up to which a flow vector counts as consistent: the
#: smoothing trusts it fully, fading to no trust at twice this; the chatter measure ignores pixels beyond it.
CONSISTENT_PX = 1.0
#: A change of this many grey levels (0..255) along the flow counts as much as CONSISTENT_PX of
#: forward-backward disagreement (48 measured best of 12, 24, 48 on DAVIS dev: soft_matte.py).
GREY_LEVELS = 48.0
#: The chatter measure looks this far (pixels) either side of the matte's 0.5 contour.
BAND_PX = 10


class ConsistentFlow(FlowPrior):
    """The flow prior's backward flow (each pixel's place in the previous frame), plus per pixel
    the forward-backward error (pixels) of that flow, computed at the frames' own resolution."""

    def __init__(self) -> None:
        super().__init__()
        self.error: np.ndarray | None = None  # H×W float32, None on the first frame
        self.change: np.ndarray | None = None  # H×W float32: grey levels gained or lost along the flow

    def advance(self, frame: np.ndarray) -> None:
        """Take the next frame (H×W×3 uint8 RGB); compute its flow to the previous one and the error."""
        previous = self._previous
        super().advance(frame)
        self.error = None
        if self._coords is None:
            return
        forward = self._dis.calc(previous, self._previous, None)  # previous → current
        xs, ys = self._coords
        h, w = xs.shape
        back_x = xs - np.arange(w, dtype=np.float32)[None, :]
        back_y = ys - np.arange(h, dtype=np.float32)[:, None]
        # Carried back along the backward flow, then forward again: a consistent pixel returns home.
        there = cv2.remap(forward, xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        self.error = np.hypot(there[..., 0] + back_x, there[..., 1] + back_y)
        # A pixel whose grey level changed along the flow is not the same surface (an occlusion the
        # flow got consistently wrong): count the change as disagreement too.
        moved = cv2.remap(previous, xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        self.change = np.abs(self._previous.astype(np.float32) - moved.astype(np.float32))

    def confidence(self) -> np.ndarray | None:
        """H×W float32 in 0..1: how far the flow into the current frame can be trusted (forward and
        backward flow agree, and the pixel kept its grey level)."""
        if self.error is None:
            return None
        disagreement = np.maximum(self.error / CONSISTENT_PX, self.change / GREY_LEVELS)
        return np.clip(2.0 - disagreement, 0.0, 1.0)


class AntiChatter:
    """Streaming temporal smoothing of every object's alpha; call :meth:`advance` once per frame,
    then :meth:`smooth` for each object."""

    def __init__(self, strength: float) -> None:
        self.strength = strength
        self.flow = ConsistentFlow()
        self._previous: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # alpha, weight

    def advance(self, frame: np.ndarray) -> None:
        """The next frame, H×W×3 uint8 RGB (frames must come in clip order, none skipped)."""
        if self.strength > 0:
            self.flow.advance(frame)

    def smooth(self, obj_id: int, alpha: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """``alpha`` (H×W float32 0..1) blended with the object's previous alpha moved here.

        ``weight`` (H×W float32 0..1, from ``alpha.refine_alpha``) is where alpha may be soft:
        solid interior and background are left as they are.
        """
        if self.strength <= 0:
            return alpha
        previous = self._previous.get(obj_id)
        moved = None if previous is None else self.flow.warp(np.stack(previous, axis=-1))
        trust = self.flow.confidence()
        if moved is not None and trust is not None:
            warped, warped_weight = moved[..., 0], moved[..., 1]
            # The edge's band now or where it was: an edge that jumped is pulled back from either side.
            blend = self.strength * trust * np.maximum(weight, warped_weight)
            alpha = (alpha + blend * (warped - alpha)).astype(np.float32)
        self._previous[obj_id] = (alpha, weight)
        return alpha


class ChatterMeter:
    """The ground-truth-free chatter measure of one alpha sequence, fed a frame at a time."""

    def __init__(self) -> None:
        self.flow = ConsistentFlow()
        self._previous: np.ndarray | None = None
        self.per_frame: list[float] = []

    def add(self, frame: np.ndarray, alpha: np.ndarray) -> float | None:
        """Measure ``alpha`` (H×W float32 0..1) of ``frame`` (H×W×3 uint8 RGB) against the previous
        frame's; returns the frame's chatter (None on the first frame or with no band)."""
        self.flow.advance(frame)
        previous, self._previous = self._previous, alpha
        warped = None if previous is None else self.flow.warp(previous)
        if warped is None or self.flow.error is None:
            return None
        near = (np.abs(signed_distance(alpha > 0.5)) <= BAND_PX) | (np.abs(signed_distance(warped > 0.5)) <= BAND_PX)
        band = near & (self.flow.error < CONSISTENT_PX)
        if not band.any():
            return None
        value = float(np.abs(alpha - warped)[band].mean())
        self.per_frame.append(value)
        return value

    @property
    def mean(self) -> float:
        """Mean chatter over the frames measured so far (nan before the second frame)."""
        return float(np.mean(self.per_frame)) if self.per_frame else float("nan")
