"""Each object's cut of its map, read off its own keyframes after fine-tuning.

One threshold does not suit every object. A network that sees a thin object (kite lines, a
bicycle frame, a dog's legs) at a few network pixels draws it fat: the upsampled map spreads past
the object's outline and the mask bloats, and even the fitted network's map of its own annotated
frame is cut best far above the usual threshold (kite-surf: keyframe J 0.54 at 0.7, 0.66 at 0.9).
For a solid object the keyframe is reproduced as well at any threshold, and a higher cut only loses
pixels on later frames where the map is less sure. So each object is cut at the lowest threshold in
``[threshold, threshold + reach]`` whose keyframe J is within ``TOLERANCE`` of the best there: higher
only where the keyframes clearly ask for it.

Rather than thread a per-object threshold through the filters, the soft matte and the confidence
track, the object's maps are remapped (:func:`recalibrate`) so its cut reads as the configured
threshold everywhere downstream.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

#: A higher cut must reproduce the keyframes this much better (J, 0..1) than the lowest one.
TOLERANCE = 0.02
#: The thresholds tried, this far apart.
STEP = 0.025
#: No cut above this: a map cut nearer 1 keeps only its most certain core.
MAX_CUT = 0.95


def keyframe_cut(pairs: Iterable[tuple[np.ndarray, np.ndarray]], threshold: float, reach: float) -> float:
    """The map value to cut an object's maps at, from ``(map, mask)`` pairs of its keyframes (map
    H×W float32 0..1 as inference draws it, mask H×W uint8 0/255): the lowest value in
    ``[threshold, threshold + reach]`` (steps of ``STEP``, none above ``MAX_CUT``) whose J over
    all the keyframes' pixels is within ``TOLERANCE`` of the best value's. ``threshold`` when
    ``reach`` is 0."""
    cuts = threshold + np.arange(0.0, max(0.0, min(reach, MAX_CUT - threshold)) + 1e-9, STEP)
    inter, union = np.zeros(len(cuts)), np.zeros(len(cuts))
    for prob, mask in pairs:
        truth = mask > 0
        for k, cut in enumerate(cuts):
            fg = prob > cut
            inter[k] += np.count_nonzero(fg & truth)
            union[k] += np.count_nonzero(fg | truth)
    j = np.divide(inter, union, out=np.ones(len(cuts)), where=union > 0)
    return float(cuts[np.argmax(j >= j.max() - TOLERANCE)])


def recalibrate(prob: np.ndarray, cut: float, threshold: float) -> np.ndarray:
    """``prob`` (any shape, float32 0..1) remapped piecewise-linearly so that ``cut`` reads as
    ``threshold``, 0 and 1 staying put: cutting the result at ``threshold`` (or at any value
    above it, as the hysteresis filter's strong threshold is) keeps what cutting ``prob`` at the
    matching value above ``cut`` keeps."""
    if cut == threshold:
        return prob
    low = prob * (threshold / cut)
    high = threshold + (prob - cut) * ((1.0 - threshold) / (1.0 - cut))
    return np.where(prob < cut, low, high).astype(np.float32)
