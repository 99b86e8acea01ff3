"""DAVIS measures on hand-made masks whose scores can be worked out on paper."""

import numpy as np
import pytest

from vos_core.eval.metrics import boundary_map, f_measure, jaccard, summarize


def box_mask(h, w, y0, y1, x0, x1):
    m = np.zeros((h, w), np.uint8)
    m[y0:y1, x0:x1] = 255
    return m


def test_jaccard_hand_computed():
    a = box_mask(10, 10, 0, 4, 0, 4)  # 16 px
    b = box_mask(10, 10, 2, 6, 2, 6)  # 16 px, 4 shared
    assert jaccard(a, b) == pytest.approx(4 / 28)
    assert jaccard(a, a) == 1.0
    assert jaccard(a, np.zeros_like(a)) == 0.0
    assert jaccard(np.zeros_like(a), np.zeros_like(a)) == 1.0


def test_boundary_map_of_a_square_is_its_outline():
    m = box_mask(8, 8, 2, 6, 2, 6)
    b = boundary_map(m)
    # DAVIS marks the last object pixel before each transition (right/bottom) and the pixel
    # before the object (left/top), so a 4×4 square yields a ring of 5×5 minus its 3×3 inside
    # shifted up-left by one: 16 pixels.
    assert b.sum() == 16
    assert not b[3:5, 3:5].any()


def test_f_measure_perfect_disjoint_and_empty():
    m = box_mask(100, 100, 20, 60, 20, 60)
    assert f_measure(m, m) == 1.0
    far = box_mask(100, 100, 70, 90, 70, 90)
    assert f_measure(far, m) == 0.0
    empty = np.zeros_like(m)
    assert f_measure(empty, empty) == 1.0
    assert f_measure(empty, m) == 0.0


def test_f_measure_tolerance_is_0008_of_diagonal():
    # Diagonal of 200×200 is 282.8 → tolerance ceil(2.26) = 3 pixels.
    gt = box_mask(200, 200, 50, 150, 50, 150)
    within = box_mask(200, 200, 53, 153, 50, 150)  # every edge moved by at most 3 px
    beyond = box_mask(200, 200, 54, 154, 50, 150)  # top and bottom edges 4 px away
    assert f_measure(within, gt) == 1.0
    # Left/right edges still match (length 96 of each ~100); top/bottom do not: F clearly below 1.
    assert f_measure(beyond, gt) < 0.6


def test_summary_recall_and_decay():
    values = [1.0, 1.0, 0.9, 0.8, 0.4, 0.3, 0.2, 0.1]
    s = summarize(values)
    assert s.mean == pytest.approx(np.mean(values))
    assert s.recall == pytest.approx(4 / 8)
    # DAVIS bin edges: round(linspace(1, 8, 5)) - 1 = [0, 2, 4, 5, 7]; bins include both ends,
    # so the first is frames 0..2 and the last frames 5..7.
    assert s.decay == pytest.approx(np.mean([1.0, 1.0, 0.9]) - np.mean([0.3, 0.2, 0.1]))
