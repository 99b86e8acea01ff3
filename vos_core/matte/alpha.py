"""Soft alpha from a binary mask and its probability map: refine-matte controls an editor knows.

The masks the filters keep are hard 0/255 cut-outs whose edge sits wherever the upsampled map
crossed the threshold. Here the edge becomes a ramp that follows the frame's own edges: the map,
re-centred on the threshold so that alpha 0.5 falls where the mask's edge is, is smoothed along
the frame's edges by a joint domain-transform filter (``upsample.domain_transform_filter``; the
guided filter and a plain feather are the measured alternatives). Only a band around the
mask's boundary is touched: deeper inside the object alpha is exactly 1, further out exactly 0,
so a distractor the filters removed never comes back as a faint ghost.

All feather/shift/smooth distances are in frame pixels. ``HARD`` (every control 0) reproduces
the binary mask bit for bit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import cv2
import numpy as np

from ..config import reject_unknown
from ..errors import VosError, check_choice
from .upsample import domain_transform_filter, grey_guide, guided_filter, mean_filter

#: The guided filter's edge sensitivity (guide in 0..1): frame edges whose local standard deviation is
#: well above sqrt(EDGE_EPS) steer the ramp, flatter texture is smoothed over.
EDGE_EPS = 1e-3
#: The domain transform's edge contrast (summed over RGB in 0..1) at which smoothing stops.
DOMAIN_SIGMA_R = 0.1
#: The edge-aware step, compared in benchmarks/results/soft_matte_filters.json on DAVIS dev (default
#: soft settings): "domain" (joint domain transform on the RGB frame) chatters less on all 10 clips
#: and its ramp follows the true edge better (F_ramp 75.9 vs 75.4) than "guided" (He et al., grey
#: guide), at 0.25 lower J; "box" (a plain feather, not edge-aware) is behind both.
EDGE_FILTERS = ("domain", "guided", "box")


@dataclass(frozen=True)
class RefineSettings:
    """How a binary mask becomes a soft matte (After Effects' Refine Matte controls).

    Attributes:
        feather: half-width (pixels) of the soft edge: alpha ramps inside a band of this
            width either side of the mask's boundary, steered by the frame's edges. 0 keeps the
            binary edge.
        contrast: 0..1, steepens the ramp around alpha 0.5 (1 would be binary again).
        shift_edge: pixels to move the edge outwards (positive, spread) or inwards (choke).
        smooth: pixels; rounds off the outline's jaggies (a Gaussian of this sigma on the
            re-centred map) before the edge-aware step.
        chatter: 0..1, anti-chatter strength: how much of the previous frame's alpha, moved by
            optical flow, is kept where the flow is reliable (see ``antichatter.py``).
        edge_filter: the edge-aware step (one of ``EDGE_FILTERS``); chosen by measurement, not
            offered to users.
    """

    # Defaults measured on DAVIS dev (benchmarks/results/soft_matte_sweep.json): the lowest chatter
    # whose J and F (alpha > 0.5) stay within 0.5 of the hard matte's and whose ramp's boundary F
    # (F_ramp) within 1 (feather 4 chatters less but blurs the ramp off the true edge).
    feather: float = 3.0
    contrast: float = 0.0
    shift_edge: float = 0.0
    smooth: float = 0.0
    chatter: float = 0.9
    edge_filter: str = "domain"

    def __post_init__(self) -> None:
        if self.feather < 0 or self.smooth < 0:
            raise VosError(f"feather and smooth must be >= 0 pixels, got {self.feather} and {self.smooth}")
        if not 0.0 <= self.contrast < 1.0:
            raise VosError(f"contrast must be in [0, 1), got {self.contrast}")
        if not 0.0 <= self.chatter <= 1.0:
            raise VosError(f"chatter must be in [0, 1], got {self.chatter}")
        check_choice("edge_filter", self.edge_filter, EDGE_FILTERS)

    @property
    def is_hard(self) -> bool:
        """True when the output is the (possibly shifted) binary mask."""
        return self.feather == 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_overrides(self, **overrides: Any) -> RefineSettings:
        """A copy with the given fields changed; ``None`` values are ignored."""
        reject_unknown(type(self), overrides, "refine setting")
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


#: Today's binary matte, bit for bit.
HARD = RefineSettings(feather=0.0, chatter=0.0)
MATTE_PRESETS: dict[str, RefineSettings] = {"hard": HARD, "soft": RefineSettings()}


def get_refine(name: str) -> RefineSettings:
    """The refine preset called ``name`` ("hard" or "soft"), or a VosError listing them."""
    check_choice("matte", name, MATTE_PRESETS)
    return MATTE_PRESETS[name]


def signed_distance(mask: np.ndarray) -> np.ndarray:
    """H×W float32: distance (pixels) to the other side of ``mask``'s edge, positive inside.

    Pixels next to the edge are ±1, so the edge itself lies at 0.
    """
    inside = mask > 0
    d_in = cv2.distanceTransform(inside.astype(np.uint8), cv2.DIST_L2, 5)
    d_out = cv2.distanceTransform((~inside).astype(np.uint8), cv2.DIST_L2, 5)
    return np.where(inside, d_in, -d_out).astype(np.float32)


def edge_weight(distance: np.ndarray, feather: float) -> np.ndarray:
    """H×W float32 in 0..1: 1 within ``feather`` of the edge, fading to 0 at twice that.

    The edge-aware step reaches about two radii from a pixel, so the soft result is blended into the
    binary mask over the second radius: the band's border shows no step.
    """
    return np.clip(2.0 - np.abs(distance) / feather, 0.0, 1.0).astype(np.float32)


def recentre(prob: np.ndarray, threshold: float) -> np.ndarray:
    """The map (H×W float32 0..1) remapped piecewise-linearly so that ``threshold`` becomes 0.5."""
    return np.where(prob < threshold, 0.5 * prob / threshold, 0.5 + 0.5 * (prob - threshold) / (1.0 - threshold))


def refine_alpha(
    frame: np.ndarray, prob: np.ndarray, mask: np.ndarray, settings: RefineSettings, threshold: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Soft alpha of one object: ``(alpha, weight)``, both H×W float32 in 0..1.

    ``frame`` H×W×3 uint8 RGB, ``prob`` its H×W float32 0..1 map at the frame's resolution,
    ``mask`` H×W uint8 0/255 (what the filters kept), ``threshold`` the map value the mask was
    cut at. ``weight`` is where alpha may be soft (0 = solid, equal to the shifted mask);
    anti-chatter works inside it only. With ``settings.feather == 0`` alpha is the shifted
    mask / 255 exactly and the weight is 0 everywhere.
    """
    distance = signed_distance(mask) + np.float32(settings.shift_edge)
    solid = (distance > 0).astype(np.float32)
    if settings.is_hard:
        return solid, np.zeros_like(solid)
    weight = edge_weight(distance, settings.feather)
    # Near the edge the map says how sure the network was. Its ramp is clamped to within
    # ``feather`` of the (shifted) edge whatever the map's offset: a distractor the filters removed
    # cannot come back through the band, and a shifted edge drags the map's transition with it.
    source = np.where(weight > 0, recentre(prob, threshold), solid).astype(np.float32)
    source = np.minimum(source, np.clip(distance / settings.feather + 1.0, 0.0, 1.0))
    source = np.maximum(source, np.clip(distance / settings.feather, 0.0, 1.0))
    if settings.smooth > 0:
        source = cv2.GaussianBlur(source, (0, 0), settings.smooth)
    soft = edge_aware(frame, source, weight, settings)
    if settings.contrast > 0:
        soft = (soft - 0.5) / (1.0 - settings.contrast) + 0.5
    soft = np.clip(soft, 0.0, 1.0)
    return (solid + weight * (soft - solid)).astype(np.float32), weight


def edge_aware(frame: np.ndarray, source: np.ndarray, weight: np.ndarray, settings: RefineSettings) -> np.ndarray:
    """``source`` (H×W float32) smoothed along the frame's edges at the feather's scale, by
    ``settings.edge_filter``; exact only where ``weight`` > 0 (the rest is blended away)."""
    radius = max(1, round(settings.feather))
    if settings.edge_filter == "guided":
        return guided_filter(grey_guide(frame), source, radius, EDGE_EPS)
    if settings.edge_filter == "box":
        return mean_filter(source, radius)
    # The recursive filter loops in Python over columns and rows: run it on the band's bounding box
    # only, with a margin where its reach (a few sigma) has died out.
    ys, xs = np.nonzero(weight)
    if ys.size == 0:
        return source
    m = 4 * radius + 2
    y0, y1 = max(0, ys.min() - m), min(source.shape[0], ys.max() + m + 1)
    x0, x1 = max(0, xs.min() - m), min(source.shape[1], xs.max() + m + 1)
    out = source.copy()
    guide = frame[y0:y1, x0:x1].astype(np.float32) / 255.0
    out[y0:y1, x0:x1] = domain_transform_filter(guide, source[y0:y1, x0:x1], float(radius), DOMAIN_SIGMA_R)
    return out


def quantize(matte: np.ndarray, depth: int = 8) -> np.ndarray:
    """A matte as stored: uint8 (``depth`` 8) or uint16 (16).

    ``matte`` is H×W uint8 0..255 (a binary mask, passed through exactly: ×257 for 16 bits) or
    float32 alpha 0..1 (rounded to the nearest level; 0 and 1 map to 0 and the maximum exactly).
    """
    if depth not in (8, 16):
        raise VosError(f"matte depth must be 8 or 16 bits, got {depth}")
    if matte.dtype == np.uint8:
        return matte if depth == 8 else matte.astype(np.uint16) * np.uint16(257)
    top = 255 if depth == 8 else 65535
    return np.rint(np.clip(matte, 0.0, 1.0) * top).astype(np.uint8 if depth == 8 else np.uint16)
