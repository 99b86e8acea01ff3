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


def make_optimizer(net: AppearanceNet, base_lr: float, policy: LRPolicy = LR_POLICY) -> torch.optim.SGD:
    """SGD over ``net`` with per-layer multipliers; freezes the stages the policy says."""
    groups: list[dict] = []

    def add(params: list[torch.nn.Parameter], mult: float, decay: bool) -> None:
        if params:
            groups.append({"params": params, "lr": base_lr * mult, "weight_decay": policy.weight_decay if decay else 0.0})

    for stage in range(len(VGG16_STAGES)):
        layers = net.stage_modules(stage)
        frozen = stage < policy.frozen_stages
        for p in layers.parameters():
            p.requires_grad_(not frozen)
        if not frozen:
            named = list(layers.named_parameters())
            add([p for n, p in named if n.endswith("weight")], policy.backbone_weight, True)
            add([p for n, p in named if n.endswith("bias")], policy.backbone_bias, False)
    add([*net.side.parameters(), *net.side_scores.parameters()], policy.side, True)
    add(list(net.fuse.parameters()), policy.fuse, True)
    return torch.optim.SGD(groups, lr=base_lr, momentum=policy.momentum)


def train_step(
    net: AppearanceNet,
    optimizer: torch.optim.Optimizer,
    image: np.ndarray,
    mask: np.ndarray,
    device: torch.device | str,
    policy: LRPolicy = LR_POLICY,
) -> float:
    """One SGD step on an H×W×3 uint8 RGB image and its H×W 0/255 mask; returns the loss."""
    net.train()
    x = to_input(image, device)
    y = torch.from_numpy(mask > 0).to(device=device, dtype=torch.float32)[None, None]
    optimizer.zero_grad(set_to_none=True)
    fused, sides = net.forward_with_sides(x, frozen_stages=policy.frozen_stages)
    # Deep supervision (OSVOS variant only) adds every stage's loss to the fused one, as OSVOS does.
    loss = sum((class_balanced_bce(side, y) for side in sides), class_balanced_bce(fused, y))
    loss.backward()
    optimizer.step()
    return float(loss.detach())
