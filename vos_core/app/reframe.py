"""Object-centred stabilisation and reframing: mattes → object track → smooth camera path → crop windows.

Three stages, each a pure function on numpy arrays:

1. :func:`observe` / :func:`track_object` measure the object in each matte (centroid and extent),
   streaming (one matte in memory at a time); specks are ignored by the percentile extent, frames
   with no object or with an implausible jump are marked missing and filled by interpolation.
2. :func:`smooth_path` turns the track's centres into a camera path with a Whittaker smoother on
   second differences (a constant-velocity prior: strong smoothing leaves straight pans), constrained
   so the crop keeps the object inside with a margin and never leaves the frame.
3. :func:`reframe` sizes a crop window of the chosen aspect and returns one integer window per frame.

The path needs the whole track, but that is four floats a frame.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

#: Fraction of the frame an object must cover to count as present (below: noise or absent).
MIN_AREA_FRACTION = 1e-4
#: Percentiles of the object's pixel coordinates taken as its extent: a few stray pixels do not widen it.
EXTENT_PERCENTILES = (2.0, 98.0)
#: Weight given to a constraint (crop bound) relative to following the object, in the constrained smoother.
BOUND_WEIGHT = 1e4


@dataclass(frozen=True)
class Observation:
    """The object in one matte, in pixels: centroid ``(cx, cy)`` and extent box ``left..right``, ``top..bottom``."""

    cx: float
    cy: float
    left: float
    top: float
    right: float
    bottom: float


@dataclass(frozen=True)
class ObjectTrack:
    """The object over a clip: ``boxes`` N×6 float64 (cx, cy, left, top, right, bottom) per frame,
    missing frames filled by interpolation; ``present`` N bool, False where a frame had no usable object."""

    width: int
    height: int
    boxes: np.ndarray
    present: np.ndarray

    @property
    def centres(self) -> np.ndarray:
        """N×2 float64 (cx, cy)."""
        return self.boxes[:, :2]


@dataclass(frozen=True)
class ReframeSettings:
    """How to frame the object.

    ``aspect``: crop width / height (None = the source's, i.e. stabilisation). ``zoom``: the crop is the
    largest window of that aspect inside the frame divided by ``zoom`` (>= 1; stabilisation needs room
    to move, so > 1). ``smoothing``: period in frames below which object motion is smoothed out of the
    camera path (0 = the crop follows the object exactly). ``margin``: fraction of the crop's side kept
    free between the object's extent and the crop edge where the crop is large enough.
    """

    aspect: float | None = None
    zoom: float = 1.0
    smoothing: float = 30.0
    margin: float = 0.05

    def __post_init__(self) -> None:
        if self.aspect is not None and not self.aspect > 0:
            raise InputError(f"aspect must be > 0, got {self.aspect}")
        if self.zoom < 1:
            raise InputError(f"zoom must be >= 1, got {self.zoom}")
        if self.smoothing < 0:
            raise InputError(f"smoothing must be >= 0 frames, got {self.smoothing}")
        if not 0 <= self.margin < 0.5:
            raise InputError(f"margin must be in [0, 0.5), got {self.margin}")


@dataclass(frozen=True)
class CropPath:
    """The result: ``windows`` N×4 int64 (x, y, w, h) per frame, all of one size and inside the frame;
    ``centres`` N×2 float64, the smoothed camera path; ``track`` what it was computed from."""

    windows: np.ndarray
    centres: np.ndarray
    track: ObjectTrack

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of every crop window."""
        return int(self.windows[0, 2]), int(self.windows[0, 3])

    def rows(self) -> list[dict]:
        """One dict per frame: the window, the camera centre and the object track."""
        return [
            {"frame": i, "x": int(x), "y": int(y), "w": int(w), "h": int(h),
             "camera_cx": round(float(c[0]), 2), "camera_cy": round(float(c[1]), 2),
             "object_cx": round(float(b[0]), 2), "object_cy": round(float(b[1]), 2), "object_present": bool(p)}
            for i, ((x, y, w, h), c, b, p) in enumerate(zip(self.windows, self.centres, self.track.boxes,
                                                            self.track.present))
        ]

    def to_json(self) -> str:
        return json.dumps({"width": self.track.width, "height": self.track.height, "crop": list(self.size),
                           "frames": self.rows()}, indent=1)

    def to_csv(self) -> str:
        out = io.StringIO()
        rows = self.rows()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()


def parse_aspect(text: str) -> float | None:
    """``"9:16"``, ``"4:5"``, ``"1:1"``, ``"1.5"`` → width/height; ``"source"`` → None (the source's)."""
    if text.strip().lower() == "source":
        return None
    try:
        if ":" in text:
            w, h = text.split(":")
            value = float(w) / float(h)
        else:
            value = float(text)
    except (ValueError, ZeroDivisionError):
        raise InputError(f"aspect {text!r} is not W:H (9:16, 1:1, 4:5), a number, or 'source'") from None
    if not value > 0 or math.isinf(value):
        raise InputError(f"aspect {text!r} must be positive")
    return value


def observe(matte: np.ndarray) -> Observation | None:
    """The object in one H×W matte (uint8 0..255 or float 0..1; over half = object), or None if absent."""
    matte = np.asarray(matte)
    binary = matte > (127 if matte.dtype == np.uint8 else 0.5)
    ys, xs = np.nonzero(binary)
    if len(xs) < max(16, MIN_AREA_FRACTION * binary.size):
        return None
    (left, right), (top, bottom) = np.percentile(xs, EXTENT_PERCENTILES), np.percentile(ys, EXTENT_PERCENTILES)
    return Observation(float(xs.mean()), float(ys.mean()), float(left), float(top), float(right + 1), float(bottom + 1))


def track_object(mattes: Iterable[np.ndarray], jump: float = 0.15) -> ObjectTrack:
    """Observe every matte (streaming) and fill the gaps: frames with no object, and frames whose
    centre jumps more than ``jump`` × the frame diagonal away from both neighbours' (a matte that
    briefly latched onto something else), take the interpolated values of the nearest good frames."""
    observed: list[Observation | None] = []
    shape = None
    for matte in mattes:
        shape = shape or matte.shape[:2]
        if matte.shape[:2] != shape:
            raise InputError(f"matte {len(observed)} is {matte.shape[1]}×{matte.shape[0]}, "
                             f"the first was {shape[1]}×{shape[0]}")
        observed.append(observe(matte))
    if shape is None:
        raise InputError("no mattes to track")
    present = np.array([o is not None for o in observed])
    if not present.any():
        raise InputError("the object is missing from every matte: nothing to follow")
    boxes = np.array([[o.cx, o.cy, o.left, o.top, o.right, o.bottom] if o else [np.nan] * 6 for o in observed])
    present &= ~_isolated_jumps(boxes[:, :2], present, jump * math.hypot(*shape))
    return ObjectTrack(shape[1], shape[0], _interpolate(boxes, present), present)


def _isolated_jumps(centres: np.ndarray, present: np.ndarray, limit: float) -> np.ndarray:
    """Frames whose centre is over ``limit`` px from the previous and the next present frame's centre."""
    index = np.flatnonzero(present)
    out = np.zeros(len(centres), bool)
    for before, here, after in zip(index, index[1:], index[2:]):
        far = [np.linalg.norm(centres[here] - centres[other]) > limit for other in (before, after)]
        near_each_other = np.linalg.norm(centres[before] - centres[after]) <= limit
        out[here] = all(far) and near_each_other
    return out


def _interpolate(values: np.ndarray, good: np.ndarray) -> np.ndarray:
    """Columns of ``values`` (N×K) with rows not ``good`` linearly interpolated (held at the ends)."""
    frames = np.arange(len(values))
    return np.stack([np.interp(frames, frames[good], values[good, k]) for k in range(values.shape[1])], axis=1)


def whittaker(values: np.ndarray, strength: float, weights: np.ndarray | None = None) -> np.ndarray:
    """Smooth a 1-D series: argmin_z Σ wᵢ(zᵢ - yᵢ)² + strength · Σ (zᵢ₋₁ - 2zᵢ + zᵢ₊₁)².

    Penalising the second difference (acceleration) prefers constant velocity: as ``strength``
    grows the result tends to the least-squares straight line. Solved exactly as a symmetric
    pentadiagonal system (banded LDLᵀ), linear in the series' length.
    """
    y = np.asarray(values, np.float64)
    n = len(y)
    w = np.ones(n) if weights is None else np.asarray(weights, np.float64)
    if n < 3 or strength <= 0:
        return y.copy()
    # Bands of D2ᵀD2 (rows 1, -2, 1): each row adds its products to three diagonals.
    rows = np.ones(n - 2)
    d0 = w + strength * np.convolve(rows, [1.0, 4.0, 1.0])
    d1, d2 = strength * np.convolve(rows, [-2.0, -2.0]), strength * rows
    return _solve_pentadiagonal(d0, d1, d2, w * y)


def _solve_pentadiagonal(d0: np.ndarray, d1: np.ndarray, d2: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve A x = b for symmetric positive definite A with diagonals d0 (n), d1 (n-1), d2 (n-2)."""
    n = len(d0)
    diag, l1, l2 = np.zeros(n), np.zeros(n), np.zeros(n)  # A = L·diag·Lᵀ, L unit lower with bands l1, l2
    for i in range(n):
        l2[i] = d2[i - 2] / diag[i - 2] if i >= 2 else 0.0
        l1[i] = ((d1[i - 1] - (l1[i - 1] * l2[i] * diag[i - 2] if i >= 2 else 0.0)) / diag[i - 1]) if i >= 1 else 0.0
        diag[i] = d0[i] - (l1[i] ** 2 * diag[i - 1] if i >= 1 else 0.0) - (l2[i] ** 2 * diag[i - 2] if i >= 2 else 0.0)
    z = np.zeros(n)
    for i in range(n):
        z[i] = b[i] - (l1[i] * z[i - 1] if i >= 1 else 0.0) - (l2[i] * z[i - 2] if i >= 2 else 0.0)
    x = z / diag
    for i in range(n - 1, -1, -1):
        x[i] -= (l1[i + 1] * x[i + 1] if i + 1 < n else 0.0) + (l2[i + 2] * x[i + 2] if i + 2 < n else 0.0)
    return x


def smoothing_strength(period: float) -> float:
    """The Whittaker strength whose cut-off period is ``period`` frames: its response to a sine of
    angular frequency ω is 1/(1 + λ(2 - 2cos ω)²) ≈ 1/(1 + λω⁴), half power at ω = λ^(-1/4)."""
    return (period / (2 * math.pi)) ** 4


def smooth_path(target: np.ndarray, low: np.ndarray, high: np.ndarray, period: float, rounds: int = 20) -> np.ndarray:
    """A smooth 1-D camera path following ``target`` and kept within ``[low, high]`` per frame.

    Frames where the smooth path leaves its interval are pulled to the bound they crossed (with a
    heavy weight) and the path is solved again, until no frame is out by more than half a pixel; a
    last clip makes the bounds hold exactly. Pass bounds with ``low <= high``.
    """
    strength = smoothing_strength(period)
    goal, weights = target.astype(np.float64).copy(), np.ones(len(target))
    path = whittaker(goal, strength, weights)
    for _ in range(rounds):
        out = (path < low - 0.5) | (path > high + 0.5)
        if not out.any():
            break
        goal[out] = np.clip(path[out], low[out], high[out])
        weights[out] = BOUND_WEIGHT
        path = whittaker(goal, strength, weights)
    return np.clip(path, low, high)


def crop_size(width: int, height: int, settings: ReframeSettings) -> tuple[int, int]:
    """(w, h) of the crop window: the largest of the aspect inside the frame, divided by the zoom,
    rounded down to even sides (H.264's 4:2:0 needs them)."""
    aspect = settings.aspect or width / height
    w, h = (width, width / aspect) if width / aspect <= height else (height * aspect, height)
    w, h = w / settings.zoom, h / settings.zoom
    return _even(w, width), _even(h, height)


def _even(value: float, limit: int) -> int:
    """``value`` rounded down to an even integer in [2, limit]."""
    return max(2, min(limit - limit % 2, int(value) - int(value) % 2))


def _bounds(centre: np.ndarray, lo_edge: np.ndarray, hi_edge: np.ndarray, side: int, frame: int,
            margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame interval for the crop centre along one axis: the object's extent (with margin)
    inside where it fits, else its centroid (with margin) inside; the frame always wins."""
    pad = margin * side
    low, high = hi_edge + pad - side / 2, lo_edge - pad + side / 2
    squeezed = low > high  # the object is wider than the crop: keep its centroid in, and smooth freely
    low = np.where(squeezed, centre - side / 2 + pad, low)
    high = np.where(squeezed, centre + side / 2 - pad, high)
    inside_lo, inside_hi = side / 2, frame - side / 2
    return np.clip(low, inside_lo, inside_hi), np.clip(high, inside_lo, inside_hi)


def reframe(track: ObjectTrack, settings: ReframeSettings) -> CropPath:
    """The crop window for every frame of ``track`` (see the module's docstring)."""
    w, h = crop_size(track.width, track.height, settings)
    b = track.boxes
    centres = np.empty((len(b), 2))
    for axis, (side, frame, lo, hi) in enumerate(((w, track.width, b[:, 2], b[:, 4]),
                                                  (h, track.height, b[:, 3], b[:, 5]))):
        low, high = _bounds(b[:, axis], lo, hi, side, frame, settings.margin)
        centres[:, axis] = smooth_path(b[:, axis], low, high, settings.smoothing)
    x = np.clip(np.round(centres[:, 0] - w / 2), 0, track.width - w)
    y = np.clip(np.round(centres[:, 1] - h / 2), 0, track.height - h)
    windows = np.stack([x, y, np.full_like(x, w), np.full_like(y, h)], axis=1).astype(np.int64)
    return CropPath(windows, centres, track)


def crop(frame: np.ndarray, window: np.ndarray) -> np.ndarray:
    """The ``(x, y, w, h)`` window of an H×W(×C) frame (a view; copy it to keep it)."""
    x, y, w, h = (int(v) for v in window)
    return frame[y:y + h, x:x + w]
