"""The optical-flow temporal prior on real DAVIS frames."""

import cv2
import numpy as np
import pytest

from vos_core import SegmentConfig, VideoPredictor, load_net, read_image, read_mask
from vos_core.eval.metrics import jaccard
from vos_core.matte.upsample import upsample_map
from vos_core.network.augment import resize_to_height
from vos_core.tracking.flow_prior import FlowPrior, apply_prior

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


def test_an_object_lost_on_one_frame_is_found_again_under_the_prior(davis_root):
    """A lost object (empty mask) leaves no prior: a prior of zeros would damp the whole map below
    the threshold, and the object could never come back."""
    frames = [read_image(davis_root / f"JPEGImages/480p/dog/{i:05d}.jpg") for i in range(3)]
    mask = read_mask(davis_root / "Annotations/480p/dog/00000.png")
    config = SegmentConfig(finetune_iters=0, detector="none", postprocess="threshold", prior_weight=0.5)
    predictor = VideoPredictor(load_net()[0], config)
    session = predictor.new_session()
    predictor.add_mask(session, 0, frames[0], mask)
    list(predictor.fit(session))
    predictor.finish_frame(session, 0, frames[0], predictor.maps(session, 0, frames[0]), [])
    nothing = {1: np.zeros_like(predictor.maps(session, 1, frames[1])[1])}
    assert not predictor.finish_frame(session, 1, frames[1], nothing, []).masks[1].any()
    maps = predictor.maps(session, 2, frames[2])
    found = predictor.finish_frame(session, 2, frames[2], maps, []).masks[1]
    undamped = np.where(upsample_map(maps[1], frames[2]) > config.threshold, 255, 0).astype(np.uint8)
    assert undamped.any() and jaccard(found, undamped) > 0.99
