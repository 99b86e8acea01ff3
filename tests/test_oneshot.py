"""One-shot fine-tuning on a real DAVIS frame, at reduced size so it runs in seconds on 2 cores."""

import numpy as np
import pytest

from vos_core import SegmentConfig, VideoPredictor, load_net, read_image, read_mask
from vos_core.metrics import jaccard

SEQ, LATER = "blackswan", 20


@pytest.fixture(scope="module")
def fitted(davis_root, imagenet_weights):
    frames = davis_root / "JPEGImages/480p" / SEQ
    masks = davis_root / "Annotations/480p" / SEQ
    net, _ = load_net(imagenet_weights)
    config = SegmentConfig(finetune_iters=30, train_height=160, infer_height=160, seed=0)
    predictor = VideoPredictor(net, config)
    session = predictor.new_session()
    first, first_mask = read_image(frames / "00000.jpg"), read_mask(masks / "00000.png")
    predictor.add_mask(session, 0, first, first_mask)
    losses = [step.loss for step in predictor.fit(session)]
    later = read_image(frames / f"{LATER:05d}.jpg")
    results = list(predictor.propagate(session, [first, later]))
    return losses, results, first_mask, read_mask(masks / f"{LATER:05d}.png")


def test_fine_tuning_lowers_the_loss(fitted):
    losses = fitted[0]
    assert len(losses) == 30
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])


def test_later_frame_beats_copying_the_first_mask(fitted):
    _, results, first_mask, gt = fitted
    baseline = jaccard(first_mask, gt)  # 0.41: the swan has moved
    ours = jaccard(results[1].matte, gt)
    assert ours > baseline + 0.2, (ours, baseline)


def test_outputs_follow_the_stage_contract(fitted):
    _, results, first_mask, _ = fitted
    annotated, later = results
    np.testing.assert_array_equal(annotated.masks[1], first_mask)  # the editor's own mask is kept
    assert later.index == 1
    prob = later.maps[1]
    assert prob.dtype == np.float32 and prob.shape == (480, 854)
    assert 0.0 <= prob.min() and prob.max() <= 1.0
    assert later.matte.dtype == np.uint8 and set(np.unique(later.matte)) <= {0, 255}
