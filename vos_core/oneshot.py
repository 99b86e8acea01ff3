"""One-shot fine-tuning: adapt a copy of the parent network to the annotated frame."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from .appearance import AppearanceNet
from .augment import augment, resize_to_height
from .config import SegmentConfig
from .training import Example, make_example, make_optimizer, step_on


@dataclass(frozen=True)
class TrainStep:
    """Progress of fine-tuning: ``step`` of ``total`` done, with that step's loss."""

    obj_id: int
    step: int
    total: int
    loss: float


def fine_tune(
    net: AppearanceNet,
    image: np.ndarray,
    mask: np.ndarray,
    config: SegmentConfig,
    device: torch.device | str,
    obj_id: int = 1,
) -> Iterator[TrainStep]:
    """Fine-tune ``net`` in place on one frame (H×W×3 uint8 RGB) and its mask (H×W uint8 0/255).

    A generator: each iteration yields a :class:`TrainStep`, so the caller shows progress and
    may stop early. Training cycles through ``config.augment_copies`` augmented copies of the
    frame (mirror, rotation, resize; seeded from ``config.seed`` and ``obj_id``). With
    ``config.cache_features`` the frozen stages run once per copy instead of once per step:
    the same steps, computed with less work.
    """
    rng = np.random.default_rng([config.seed, obj_id])
    torch.manual_seed(config.seed)
    image = resize_to_height(image, config.train_height)
    mask = resize_to_height(mask, config.train_height, interpolation=cv2.INTER_NEAREST)
    optimizer = make_optimizer(net, config.learning_rate, config.frozen_stages)
    copies: list[Example] = []
    for step in range(1, config.finetune_iters + 1):
        k = (step - 1) % config.augment_copies
        if k == len(copies):
            copies.append(make_example(net, *augment(image, mask, rng), device, cache=config.cache_features))
        loss = step_on(net, optimizer, copies[k])
        yield TrainStep(obj_id, step, config.finetune_iters, loss)
    net.eval()
