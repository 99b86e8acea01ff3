"""The optical-flow temporal prior on real DAVIS frames."""

import cv2
import numpy as np
import pytest

from vos_core import read_image, read_mask
from vos_core.augment import resize_to_height
from vos_core.flow_prior import FlowPrior, apply_prior
from vos_core.metrics import jaccard

HEIGHT = 240


def small(davis_root, kind: str, seq: str, index: int) -> np.ndarray:
    if kind == "frame":
        return resize_to_height(read_image(davis_root / "JPEGImages/480p" / seq / f"{index:05d}.jpg"), HEIGHT)
    mask = read_mask(davis_root / "Annotations/480p" / seq / f"{index:05d}.png")
    return resize_to_height(mask, HEIGHT, cv2.INTER_NEAREST).astype(np.float32) / 255


@pytest.mark.parametrize(("seq", "index"), [("libby", 30), ("dog", 30), ("breakdance", 10)])
def test_the_previous_mask_moved_by_the_flow_fits_the_current_frame_better(davis_root, seq, index):
    prior = FlowPrior()
    assert prior.warp(np.zeros((HEIGHT, 10), np.float32)) is None  # nothing to warp from yet
    prior.advance(small(davis_root, "frame", seq, index - 1))
    prior.advance(small(davis_root, "frame", seq, index))
    previous, current = small(davis_root, "mask", seq, index - 1), small(davis_root, "mask", seq, index)
    warped = prior.warp(previous)
    assert jaccard(warped > 0.5, current) > jaccard(previous, current) + 0.05


def test_the_map_is_damped_only_away_from_where_the_object_was(davis_root):
    mask = small(davis_root, "mask", "dog", 30)
    prob = np.full(mask.shape, 0.9, np.float32)
    out = apply_prior(prob, mask, weight=0.8, sigma=8)
    near = cv2.dilate(mask, np.ones((9, 9), np.uint8)) > 0
    far = cv2.dilate(mask, np.ones((61, 61), np.uint8)) == 0
    np.testing.assert_allclose(out[mask > 0], 0.9, rtol=1e-5)  # on the object: unchanged
    assert out[near].min() > 0.85  # within sigma: hardly changed
    np.testing.assert_allclose(out[far], 0.9 * 0.2, rtol=1e-3)  # far away: × (1 - weight)
    assert apply_prior(prob, mask, weight=0.0, sigma=8) is prob and apply_prior(prob, None, 0.8, 8) is prob
