"""One-shot fine-tuning on a real DAVIS frame, at reduced size so it runs in seconds on 2 cores."""

import numpy as np
import pytest

from vos_core import SegmentConfig, VideoPredictor, load_net, read_image, read_mask
from vos_core.eval.metrics import jaccard
from vos_core.tracking.boxes import mask_box
from vos_core.tracking.hysteresis import hysteresis_filter

SEQ, LATER = "blackswan", 20


pytestmark = pytest.mark.slow  # fine-tunes at 160 lines


@pytest.fixture(scope="module")
def fitted(davis_root, parent_weights):
    frames = davis_root / "JPEGImages/480p" / SEQ
    masks = davis_root / "Annotations/480p" / SEQ
    net, _ = load_net(parent_weights)
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
    gt = fitted[3] > 0  # a fine-tuned map: confident on the swan, low elsewhere
    assert prob[gt].mean() > 0.6 and prob[~gt].mean() < 0.1, (prob[gt].mean(), prob[~gt].mean())
    assert later.matte.dtype == np.uint8 and set(np.unique(later.matte)) <= {0, 255}


def empty_spot(prob: np.ndarray, size: int, low: float, keep_out) -> tuple[int, int]:
    """Top-left corner of a size×size square, 10 px clear of ``keep_out`` and of any map value >= low."""
    x0, y0, x1, y1 = keep_out
    for y in range(10, prob.shape[0] - size - 10, 10):
        for x in range(10, prob.shape[1] - size - 10, 10):
            far = x + size + 10 < x0 or x - 10 > x1 or y + size + 10 < y0 or y - 10 > y1
            if far and prob[y - 10:y + size + 10, x - 10:x + size + 10].max() < low:
                return y, x
    raise AssertionError("no empty spot in the map")


def test_hysteresis_on_the_fine_tuned_map_keeps_attached_weak_parts_and_drops_detached_ones(fitted):
    _, results, _, gt = fitted
    prob = results[1].maps[1].copy()
    high, low = SegmentConfig().hysteresis_thresholds
    box = mask_box(gt)
    y, x = empty_spot(prob, 30, low, box)
    prob[y:y + 30, x:x + 30] = (low + high) / 2  # a weak component, detached from the swan
    mask = hysteresis_filter(prob, [box], high, low) > 0
    weak = (prob >= low) & (prob < high)
    attached = mask & weak
    assert attached.sum() > 100, attached.sum()  # the map's real weak fringe around the swan is kept
    assert not mask[y:y + 30, x:x + 30].any()  # the detached weak blob is not
    assert not mask[prob < low].any()
    assert jaccard(mask, gt) > 0.8  # and the swan itself (0.90 here, with its fringe)
