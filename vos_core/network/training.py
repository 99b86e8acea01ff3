"""What parent training and one-shot fine-tuning share: per-layer learning rates and one SGD step.

The paper found that keeping the same per-layer learning-rate multipliers offline and online
matters, so they live here once and both trainings take them from :data:`LR_POLICY`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .appearance import VGG16_STAGES, AppearanceNet, to_input
from .loss import class_balanced_bce


@dataclass(frozen=True)
class LRPolicy:
    """Learning-rate multipliers (OSVOS convention) and SGD settings.

    Backbone stages below ``frozen_stages`` get no updates: on a 2-core CPU this saves their
    backward pass, and their generic edge/colour filters change least in fine-tuning.
    """

    backbone_weight: float = 1.0
    backbone_bias: float = 2.0
    side: float = 0.1
    fuse: float = 0.01
    frozen_stages: int = 2
    momentum: float = 0.9
    weight_decay: float = 2e-4


LR_POLICY = LRPolicy()


def make_optimizer(
    net: AppearanceNet, base_lr: float, frozen_stages: int | None = None, policy: LRPolicy = LR_POLICY
) -> torch.optim.SGD:
    """SGD over ``net`` with the policy's per-layer multipliers.

    Backbone stages below ``frozen_stages`` (default: the policy's) get no updates; every other
    layer keeps the multiplier the parent was trained with.
    """
    frozen_stages = policy.frozen_stages if frozen_stages is None else frozen_stages
    groups: list[dict] = []

    def add(params: list[torch.nn.Parameter], mult: float, decay: bool) -> None:
        if params:
            groups.append({"params": params, "lr": base_lr * mult, "weight_decay": policy.weight_decay if decay else 0.0})

    for stage in range(len(VGG16_STAGES)):
        layers = net.stage_modules(stage)
        frozen = stage < frozen_stages
        for p in layers.parameters():
            p.requires_grad_(not frozen)
        if not frozen:
            named = list(layers.named_parameters())
            add([p for n, p in named if n.endswith("weight")], policy.backbone_weight, True)
            add([p for n, p in named if n.endswith("bias")], policy.backbone_bias, False)
    add([*net.side.parameters(), *net.side_scores.parameters()], policy.side, True)
    add(list(net.fuse.parameters()), policy.fuse, True)
    return torch.optim.SGD(groups, lr=base_lr, momentum=policy.momentum)


def frozen_stages_of(net: AppearanceNet) -> int:
    """How many leading backbone stages ``make_optimizer`` froze (no parameter requires grad)."""
    for stage in range(len(VGG16_STAGES)):
        if any(p.requires_grad for p in net.stage_modules(stage).parameters()):
            return stage
    return len(VGG16_STAGES)


@dataclass
class Example:
    """One training example on the device: input ``x`` (1×3×H×W), target ``y`` (1×1×H×W, 0/1),
    and ``early``, the cached outputs of the frozen stages (empty: recompute them every step)."""

    x: torch.Tensor
    y: torch.Tensor
    early: list[torch.Tensor]


def make_example(
    net: AppearanceNet, image: np.ndarray, mask: np.ndarray, device: torch.device | str, cache: bool = False
) -> Example:
    """An :class:`Example` from an H×W×3 uint8 RGB image and its H×W 0/255 mask.

    With ``cache`` the frozen stages run once here; steps on the example then skip them.
    """
    y = torch.from_numpy(mask > 0).to(device=device, dtype=torch.float32)[None, None]
    return example_of(net, to_input(image, device), y, cache)


def example_of(net: AppearanceNet, x: torch.Tensor, y: torch.Tensor, cache: bool = False) -> Example:
    """An :class:`Example` from network input ``x`` and target ``y`` already on the device;
    with ``cache`` the frozen stages run once here."""
    early: list[torch.Tensor] = []
    if cache:
        with torch.no_grad():
            early = net.stage_features(x, frozen_stages_of(net))
    return Example(x, y, early)


def step_on(net: AppearanceNet, optimizer: torch.optim.Optimizer, examples: list[Example]) -> float:
    """One SGD step on ``examples``, their gradients averaged (gradient accumulation: a batch of
    several frames in the memory of one); returns the mean loss."""
    net.train()
    optimizer.zero_grad(set_to_none=True)
    total = 0.0
    for ex in examples:
        if ex.early:
            fused, sides = net.forward_from(ex.x, ex.early)
        else:
            fused, sides = net.forward_with_sides(ex.x, frozen_stages=frozen_stages_of(net))
        # Deep supervision (OSVOS variant only) adds every stage's loss to the fused one, as OSVOS does.
        loss = sum((class_balanced_bce(side, ex.y) for side in sides), class_balanced_bce(fused, ex.y))
        (loss / len(examples)).backward()
        total += float(loss.detach())
    optimizer.step()
    return total / len(examples)


def train_step(
    net: AppearanceNet,
    optimizer: torch.optim.Optimizer,
    image: np.ndarray,
    mask: np.ndarray,
    device: torch.device | str,
) -> float:
    """One SGD step on an H×W×3 uint8 RGB image and its H×W 0/255 mask; returns the loss."""
    return batch_step(net, optimizer, [(image, mask)], device)


def batch_step(
    net: AppearanceNet,
    optimizer: torch.optim.Optimizer,
    pairs: list[tuple[np.ndarray, np.ndarray]],
    device: torch.device | str,
) -> float:
    """One SGD step on several (image, mask) pairs, gradients averaged; returns the mean loss."""
    return step_on(net, optimizer, [make_example(net, image, mask, device) for image, mask in pairs])
