"""Both trainings really use the shared learning-rate policy: per-layer rates and frozen stages.

Each runs two SGD steps on a small DAVIS frame; every step's learning rate per parameter is
recorded as the optimiser applies it, and frozen stages are checked to stay unchanged.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from vos_core import SegmentConfig, VideoPredictor, load_net, read_image, read_mask
from vos_core.network import parent_training
from vos_core.network.appearance import VGG16_STAGES, AppearanceNet
from vos_core.network.checkpoints import save_parent
from vos_core.network.parent_training import ParentTrainConfig, train_parent
from vos_core.network.training import LR_POLICY

pytestmark = pytest.mark.slow  # runs both trainings (two steps each)


@pytest.fixture
def applied_rates(monkeypatch) -> list[list[tuple[torch.nn.Parameter, float]]]:
    """For every SGD step taken: (parameter, learning rate it was updated with) pairs."""
    steps: list[list[tuple[torch.nn.Parameter, float]]] = []
    step = torch.optim.SGD.step

    def recording_step(self, *args, **kwargs):
        steps.append([(p, group["lr"]) for group in self.param_groups for p in group["params"]])
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.SGD, "step", recording_step)
    return steps


def multipliers(net: AppearanceNet) -> dict[str, tuple[int | None, float]]:
    """Parameter name → (backbone stage or None, the policy's learning-rate multiplier for it)."""
    names = {id(p): n for n, p in net.named_parameters()}
    out = {}
    for stage in range(len(VGG16_STAGES)):
        for local, p in net.stage_modules(stage).named_parameters():
            bias = local.endswith("bias")
            out[names[id(p)]] = (stage, LR_POLICY.backbone_bias if bias else LR_POLICY.backbone_weight)
    for p in [*net.side.parameters(), *net.side_scores.parameters()]:
        out[names[id(p)]] = (None, LR_POLICY.side)
    for p in net.fuse.parameters():
        out[names[id(p)]] = (None, LR_POLICY.fuse)
    return out


def check_policy(net: AppearanceNet, rates: dict[str, float], frozen: int) -> None:
    """Stages below ``frozen`` get no update; every other layer base_lr × its multiplier."""
    table = multipliers(net)
    assert set(rates) == {n for n, (stage, _) in table.items() if stage is None or stage >= frozen}
    base = rates["fuse.weight"] / LR_POLICY.fuse
    for name, lr in rates.items():
        assert lr == pytest.approx(base * table[name][1]), name


def stage_params(net: AppearanceNet, stage: int) -> list[torch.Tensor]:
    return [p.detach().clone() for p in net.stage_modules(stage).parameters()]


def small(davis_root):
    frame = read_image(davis_root / "JPEGImages/480p/blackswan/00000.jpg")[::4, ::4].copy()
    return frame, read_mask(davis_root / "Annotations/480p/blackswan/00000.png")[::4, ::4].copy()


def test_one_shot_fine_tuning_uses_the_policy_and_the_configs_frozen_stages(davis_root, parent_weights,
                                                                            applied_rates):
    frame, mask = small(davis_root)
    parent, _ = load_net(parent_weights)
    before = [stage_params(parent, s) for s in range(len(VGG16_STAGES))]
    frozen = 3  # not the policy's default of 2: the config's value must be the one used
    config = SegmentConfig(finetune_iters=2, train_height=120, infer_height=120, frozen_stages=frozen,
                           augment_copies=2, detector="none")
    predictor = VideoPredictor(parent, config)
    session = predictor.new_session()
    predictor.add_mask(session, 0, frame, mask)
    list(predictor.fit(session))
    tuned = session.objects[1].net
    names = {id(p): n for n, p in tuned.named_parameters()}
    assert len(applied_rates) == 2
    for step in applied_rates:
        check_policy(tuned, {names[id(p)]: lr for p, lr in step}, frozen)
    for s in range(len(VGG16_STAGES)):
        same = all(torch.equal(a, b) for a, b in zip(before[s], stage_params(tuned, s)))
        assert same == (s < frozen), f"stage {s + 1}"


def test_parent_training_uses_the_policy_and_its_frozen_stages(davis_root, parent_weights, applied_rates, tmp_path,
                                                               monkeypatch):
    root = tmp_path / "davis"
    for kind in ("JPEGImages", "Annotations"):
        (root / kind / "480p" / "swan").mkdir(parents=True)
    frame, mask = small(davis_root)
    cv2.imwrite(str(root / "JPEGImages/480p/swan/00000.jpg"), np.ascontiguousarray(frame[..., ::-1]))
    cv2.imwrite(str(root / "Annotations/480p/swan/00000.png"), mask)
    (root / "ImageSets").mkdir()
    (root / "ImageSets/train.txt").write_text("swan\n")
    config = ParentTrainConfig(iterations=2, checkpoint_every=2, lr_drop_at=0.5)  # step 2 at a tenth of the rate
    saved: list[AppearanceNet] = []  # train_parent's own net, as it checkpoints it
    monkeypatch.setattr(parent_training, "save_parent", lambda net, *args: saved.append(net) or save_parent(net, *args))
    list(train_parent(root, tmp_path / "run", parent_weights, config, resolution="480p"))
    (trained,) = saved
    names = {id(p): n for n, p in trained.named_parameters()}
    assert len(applied_rates) == 2
    first, second = ({names[id(p)]: lr for p, lr in step} for step in applied_rates)
    check_policy(trained, first, LR_POLICY.frozen_stages)
    assert second == pytest.approx({n: lr / 10 for n, lr in first.items()})
    start, _ = load_net(parent_weights)
    for s in range(len(VGG16_STAGES)):
        same = all(torch.equal(a, b) for a, b in zip(stage_params(start, s), stage_params(trained, s)))
        assert same == (s < LR_POLICY.frozen_stages), f"stage {s + 1}"


def test_accumulated_step_averages_the_gradients_of_its_frames(davis_root):
    """A step on [a, a] moves the net exactly as a step on a; [a, b] moves it as the mean of a and b."""
    from vos_core.network.training import batch_step, make_optimizer

    def small(name: str, index: int) -> tuple[np.ndarray, np.ndarray]:
        image = read_image(davis_root / "JPEGImages" / "480p" / name / f"{index:05d}.jpg")
        mask = read_mask(davis_root / "Annotations" / "480p" / name / f"{index:05d}.png")
        return cv2.resize(image, (96, 64)), cv2.resize(mask, (96, 64), interpolation=cv2.INTER_NEAREST)

    a, b = small("blackswan", 0), small("blackswan", 20)

    def updated(pairs) -> dict[str, torch.Tensor]:
        torch.manual_seed(0)
        net = AppearanceNet()
        before = {n: p.detach().clone() for n, p in net.named_parameters()}
        batch_step(net, make_optimizer(net, 1e-2), pairs, "cpu")
        return {n: p.detach() - before[n] for n, p in net.named_parameters()}

    one, twice, mixed = updated([a]), updated([a, a]), updated([a, b])
    only_b = updated([b])
    for name in one:
        torch.testing.assert_close(twice[name], one[name], rtol=1e-4, atol=1e-7)
        torch.testing.assert_close(mixed[name], (one[name] + only_b[name]) / 2, rtol=1e-3, atol=1e-6)
    assert any(not torch.allclose(one[n], only_b[n]) for n in one)
