"""One-shot fine-tuning on cached frozen-stage features: same steps as recomputing them, less work."""

import copy

import numpy as np
import pytest
import torch

from vos_core import SegmentConfig, VideoPredictor, load_net, read_image, read_mask
from vos_core.network.oneshot import fine_tune

pytestmark = pytest.mark.slow  # fine-tunes (briefly, at 120 lines)

SEQ, LATER = "blackswan", 20
BASE = SegmentConfig(finetune_iters=12, augment_copies=4, frozen_stages=3, train_height=120, infer_height=120)


@pytest.fixture(scope="module")
def clip(davis_root):
    frames, masks = davis_root / "JPEGImages/480p" / SEQ, davis_root / "Annotations/480p" / SEQ
    return read_image(frames / "00000.jpg"), read_mask(masks / "00000.png"), read_image(frames / f"{LATER:05d}.jpg")


@pytest.fixture(scope="module")
def parent():
    return load_net()[0]


def tune(parent, clip, config: SegmentConfig) -> tuple[list[float], np.ndarray, int]:
    """Fine-tune a copy of the parent; returns (losses, map of the later frame, stage-1 forward passes)."""
    image, mask, later = clip
    net = copy.deepcopy(parent)
    calls = []
    hook = net.features[0].register_forward_hook(lambda *_: calls.append(1))  # stage 1's first conv
    losses = [step.loss for step in fine_tune(net, [(image, mask)], config, "cpu")]
    hook.remove()
    predictor = VideoPredictor(net, config)
    return losses, predictor.predict_map(net, predictor.small_frame(later)), len(calls)


def test_cached_and_recomputed_features_give_the_same_maps(parent, clip):
    torch.set_num_threads(2)
    cached_losses, cached_map, cached_calls = tune(parent, clip, BASE)
    plain_losses, plain_map, plain_calls = tune(parent, clip, BASE.with_overrides(cache_features=False))
    other_seed = tune(parent, clip, BASE.with_overrides(seed=1))[1]

    np.testing.assert_allclose(cached_losses, plain_losses, rtol=1e-3)
    diff = np.abs(cached_map - plain_map).max()
    assert diff < 1e-3, diff
    # The tolerance means something: another augmentation draw moves the map far more.
    assert np.abs(cached_map - other_seed).max() > 20 * max(diff, 1e-5)
    # The frozen stages ran once per augmented copy instead of once per step.
    assert cached_calls == BASE.augment_copies and plain_calls == BASE.finetune_iters


def test_fine_tuning_on_cached_features_lowers_the_loss(parent, clip):
    losses = tune(parent, clip, BASE.with_overrides(finetune_iters=24))[0]
    assert np.mean(losses[-4:]) < 0.7 * np.mean(losses[:4]), losses


def test_only_the_stages_above_the_frozen_ones_change(parent, clip):
    image, mask, _ = clip
    net = copy.deepcopy(parent)
    for _ in fine_tune(net, [(image, mask)], BASE, "cpu"):
        pass
    for stage in range(5):
        before = torch.cat([p.flatten() for p in parent.stage_modules(stage).parameters()])
        after = torch.cat([p.flatten() for p in net.stage_modules(stage).parameters()])
        assert torch.equal(before, after) == (stage < BASE.frozen_stages), stage
    assert not torch.equal(parent.side[0].weight, net.side[0].weight)  # side outputs of frozen stages still learn
