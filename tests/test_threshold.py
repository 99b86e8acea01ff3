"""The object's threshold is the one knob that moves the final mask, under every post-process."""

import numpy as np
import pytest
import torch

from vos_core import SegmentConfig, VideoPredictor, load_net, read_image, read_mask

SEQ, LATER = "dog", 30


@pytest.fixture(scope="module")
def maps(davis_root):
    """The shipped parent's maps of frame 0 and a later frame (no fine-tuning: the test is about filtering)."""
    frames, masks = davis_root / "JPEGImages/480p" / SEQ, davis_root / "Annotations/480p" / SEQ
    first, later = read_image(frames / "00000.jpg"), read_image(frames / f"{LATER:05d}.jpg")
    predictor = VideoPredictor(load_net()[0], SegmentConfig(infer_height=240))
    prob = [predictor.predict_map(predictor.net, predictor.small_frame(f)) for f in (first, later)]
    return first, read_mask(masks / "00000.png"), later, prob


def final_mask(maps, **settings) -> np.ndarray:
    """The later frame's mask, filtered with ``settings`` (the network is not called: maps are given)."""
    first, first_mask, later, prob = maps
    predictor = VideoPredictor(torch.nn.Identity(), SegmentConfig(infer_height=240, detector="none", **settings))
    session = predictor.new_session()
    predictor.add_mask(session, 0, first, first_mask)
    predictor.finish_frame(session, 0, first, {1: prob[0]}, [])
    return predictor.finish_frame(session, 1, later, {1: prob[1]}, []).masks[1]


@pytest.mark.parametrize("postprocess", ["threshold", "clip", "hysteresis"])
def test_raising_the_threshold_shrinks_the_final_mask(maps, postprocess):
    areas = [np.count_nonzero(final_mask(maps, threshold=t, postprocess=postprocess)) for t in (0.3, 0.5, 0.7)]
    assert areas[0] > areas[1] > areas[2] > 0, areas


def test_hysteresis_keeps_no_pixel_the_threshold_would_drop(maps):
    # The low threshold is the user's: the connected-component filter only removes what is not
    # attached to strong evidence in the box, it never grows the mask past the threshold.
    for t in (0.4, 0.6):
        thresholded = final_mask(maps, threshold=t, postprocess="threshold") > 0
        filtered = final_mask(maps, threshold=t, postprocess="hysteresis") > 0
        assert filtered.any() and not (filtered & ~thresholded).any()
    assert SegmentConfig(threshold=0.6).hysteresis_thresholds == pytest.approx((0.8, 0.6))
    assert SegmentConfig(threshold=0.6, high_threshold=0.9).hysteresis_thresholds == (0.9, 0.6)
