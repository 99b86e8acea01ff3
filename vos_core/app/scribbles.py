"""A first-frame mask from a few scribbles: foreground and background strokes seed GrabCut.

Strokes are H×W images, white (>= 128) on black. Stroke pixels are fixed labels; pixels close to
the foreground strokes start as probably object, the rest of the strokes' widened convex hull as
probably background, everything farther as sure background, and GrabCut decides. Only the parts of its result connected to a foreground stroke are
kept, so a patch of similar colour elsewhere in the frame does not join the object.

:func:`synthetic_strokes` draws strokes the way a user might (along the skeletons of a known mask
and of its background), for benchmarks and tests.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import InputError
from .grabcut import disc, grabcut

#: The object is looked for inside the foreground strokes' convex hull widened by this fraction of its
#: size (outside is sure background); on DAVIS dev first frames 0.35 beat 0.2, 0.5 and 0.8 (mean IoU).
HULL_GROWTH = 0.35
#: Pixels within this fraction of the frame's shorter side of a foreground stroke start as probably object.
STROKE_GROWTH = 0.02
#: GrabCut rounds: more than mask refinement's 3, since most of the frame starts unlabelled.
ITERATIONS = 5


def stroke_pixels(strokes: np.ndarray, shape: tuple[int, ...], what: str) -> np.ndarray:
    """H×W bool of the white pixels of a stroke image (grey or colour, any channel), checked against ``shape``."""
    strokes = np.asarray(strokes)
    if strokes.ndim == 3:
        strokes = strokes.max(axis=2)
    if strokes.shape != tuple(shape[:2]):
        raise InputError(f"{what} strokes are {strokes.shape[1]}×{strokes.shape[0]} "
                         f"but the frame is {shape[1]}×{shape[0]}")
    return strokes >= 128


def scribble_mask(frame: np.ndarray, foreground: np.ndarray, background: np.ndarray | None = None,
                  iterations: int = ITERATIONS) -> np.ndarray:
    """The object's H×W uint8 0/255 mask on ``frame`` (H×W×3 uint8 RGB) from stroke images.

    ``foreground`` marks the object (required), ``background`` what is not (optional: the frame away
    from the foreground strokes already models the background). Where strokes of both
    kinds cross, the background stroke wins.
    """
    fg = stroke_pixels(foreground, frame.shape, "foreground")
    if not fg.any():
        raise InputError("the foreground strokes are empty: draw at least one line on the object")
    bg = stroke_pixels(background, frame.shape, "background") if background is not None else np.zeros_like(fg)
    labels = np.where(_near(fg), cv2.GC_PR_BGD, cv2.GC_BGD).astype(np.uint8)
    labels[cv2.dilate(fg.astype(np.uint8), disc(max(1, int(STROKE_GROWTH * min(fg.shape))))) > 0] = cv2.GC_PR_FGD
    labels[fg] = cv2.GC_FGD
    labels[bg] = cv2.GC_BGD
    if not np.isin(labels, (cv2.GC_BGD, cv2.GC_PR_BGD)).any():
        raise InputError("the foreground strokes leave no background: draw background strokes too")
    found = grabcut(frame, labels, iterations) & ~bg
    return np.where(_touching(found, fg & ~bg), 255, 0).astype(np.uint8)


def _near(fg: np.ndarray) -> np.ndarray:
    """The strokes' convex hull, dilated by HULL_GROWTH of its larger side: where the object may be."""
    points = cv2.findNonZero(fg.astype(np.uint8))
    hull = np.zeros(fg.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(points), 1)
    _, _, w, h = cv2.boundingRect(points)
    return cv2.dilate(hull, disc(max(1, int(HULL_GROWTH * max(w, h))))) > 0


def _touching(found: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """The connected components (8-neighbour) of ``found`` that contain a seed pixel."""
    count, labels = cv2.connectedComponents(found.astype(np.uint8), connectivity=8)
    keep = np.zeros(count, bool)
    keep[np.unique(labels[seeds & found])] = True
    keep[0] = False
    return keep[labels]


def skeleton(mask: np.ndarray) -> np.ndarray:
    """One-pixel-wide, connected skeleton of an H×W bool mask (Zhang–Suen thinning, vectorised)."""
    image = np.pad(mask.astype(np.uint8), 1)
    while True:
        removed = False
        for step in (0, 1):
            p = image
            n = [p[:-2, 1:-1], p[:-2, 2:], p[1:-1, 2:], p[2:, 2:], p[2:, 1:-1], p[2:, :-2], p[1:-1, :-2], p[:-2, :-2]]
            p2, _, p4, _, p6, _, p8, _ = n
            neighbours = sum(n)
            crossings = sum((n[i] == 0) & (n[(i + 1) % 8] == 1) for i in range(8))
            if step == 0:
                side = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                side = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            drop = (p[1:-1, 1:-1] == 1) & (neighbours >= 2) & (neighbours <= 6) & (crossings == 1) & side
            if drop.any():
                image[1:-1, 1:-1][drop] = 0
                removed = True
        if not removed:
            return image[1:-1, 1:-1] > 0


def _pieces(region: np.ndarray, count: int, radius: int, width: int) -> np.ndarray:
    """Up to ``count`` strokes along ``region``'s skeleton, each within ``radius`` of the most interior
    skeleton point not yet used, spread apart; drawn ``width`` px wide. H×W uint8 0/255."""
    skel = skeleton(region)
    depth = cv2.distanceTransform(region.astype(np.uint8), cv2.DIST_L2, 5)
    _, components = cv2.connectedComponents(skel.astype(np.uint8), connectivity=8)
    available, strokes = skel.copy(), np.zeros(region.shape, np.uint8)
    yy, xx = np.indices(region.shape)
    for _ in range(count):
        if not available.any():
            break
        y, x = np.unravel_index(np.argmax(np.where(available, depth, -1)), region.shape)
        near = (yy - y) ** 2 + (xx - x) ** 2
        piece = skel & (components == components[y, x]) & (near <= radius**2)
        strokes[piece] = 255
        available &= near > (2 * radius) ** 2
    return cv2.dilate(strokes, disc(width // 2)) & np.where(region, 255, 0).astype(np.uint8)


def synthetic_strokes(mask: np.ndarray, foreground: int = 3, background: int = 2, width: int = 5,
                      gap: float = 0.03) -> tuple[np.ndarray, np.ndarray]:
    """Simulated user scribbles for a known H×W mask: ``(foreground, background)`` H×W uint8 0/255.

    Foreground strokes follow the mask's skeleton (up to ``foreground`` pieces, each at most a quarter of
    the frame's shorter side from its centre); background strokes follow the skeleton of the background
    kept ``gap`` × the shorter side away from the object, as a user draws clear of the edge.
    """
    obj = mask > 0
    side = min(mask.shape)
    away = ~(cv2.dilate(obj.astype(np.uint8), disc(max(1, int(gap * side)))) > 0)
    fg = _pieces(obj, foreground, side // 4, width)
    bg = _pieces(away, background, side // 6, width)
    return fg, bg
