"""The soft-matte stage hosts put after segmentation: binary masks + maps in, soft alpha out.

    soft = SoftMatter(get_refine("soft"), config.threshold)
    for out in segment_stream(...):
        alphas = soft.process(out)   # object id -> H×W float32 0..1
        matte = soft.matte(alphas)   # all objects, H×W float32 0..1

It streams: per object it keeps only the previous frame's alpha (and one grey frame for the
optical flow), so memory does not depend on the clip's length. Frames must come in clip order.
"""

from __future__ import annotations

import numpy as np

from vos_core import FrameResult
from vos_core.matte.alpha import RefineSettings, refine_alpha
from vos_core.matte.antichatter import AntiChatter


class SoftMatter:
    """Refine-matte controls and anti-chatter applied to one clip's frames, in order."""

    def __init__(self, settings: RefineSettings, threshold: float) -> None:
        self.settings = settings
        self.threshold = threshold  # the map value the masks were cut at: alpha 0.5 goes there
        self._chatter = AntiChatter(0.0 if settings.is_hard else settings.chatter)

    def process(self, out: FrameResult) -> dict[int, np.ndarray]:
        """Each object's alpha (H×W float32 0..1) from a segmented frame: its source frame
        (H×W×3 uint8 RGB), maps (H×W float32 0..1, full resolution) and masks (H×W uint8 0/255)."""
        self._chatter.advance(out.frame)
        alphas = {}
        for oid, mask in out.masks.items():
            alpha, weight = refine_alpha(out.frame, out.maps[oid], mask, self.settings, self.threshold)
            alphas[oid] = self._chatter.smooth(oid, alpha, weight)
        return alphas

    @staticmethod
    def matte(alphas: dict[int, np.ndarray]) -> np.ndarray:
        """All objects' alpha together (their maximum), H×W float32 0..1."""
        return np.maximum.reduce(list(alphas.values()))
