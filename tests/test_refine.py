"""GrabCut refinement of a drawn first-frame mask (plugin.refine)."""

import numpy as np
import pytest

from plugin.refine import grabcut_refine
from vos_core import VosError


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_sloppy_outline_snaps_to_the_object():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 40, (96, 128, 3), dtype=np.uint8)  # dark noisy background
    frame[30:70, 40:90] = (220, 60, 40)  # a red object
    truth = np.zeros((96, 128), bool)
    truth[30:70, 40:90] = True
    drawn = np.zeros((96, 128), np.uint8)
    drawn[25:75, 35:95] = 255  # drawn 5 px too large on every side
    refined = grabcut_refine(frame, drawn) > 0
    assert _iou(refined, truth) > 0.95 > _iou(drawn > 0, truth)


def test_empty_mask_is_refused_with_a_message():
    with pytest.raises(VosError, match="empty"):
        grabcut_refine(np.zeros((32, 32, 3), np.uint8), np.zeros((32, 32), np.uint8))
