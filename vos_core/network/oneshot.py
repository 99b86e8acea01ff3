"""One-shot fine-tuning: adapt a copy of the parent network to the annotated frames (keyframes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from ..config import AugmentParams, SegmentConfig
from ..tracking.boxes import mask_box
from .appearance import AppearanceNet
from .augment import augment, resize_to_height
from .crops import object_crop
from .patches import FrameBank, PatchSpec, sample_patches
from .training import Example, example_of, make_example, make_optimizer, step_on

#: With crops, every this-many-th augmented copy is a whole frame: the view that re-acquires a
#: lost object, and the one used where the object grows too large to crop.
WHOLE_FRAME_EVERY = 4


@dataclass(frozen=True)
class TrainStep:
    """Progress of fine-tuning: ``step`` of ``total`` done, with that step's loss."""

    obj_id: int
    step: int
    total: int
    loss: float


def fine_tune(
    net: AppearanceNet,
    keyframes: Sequence[tuple[np.ndarray, np.ndarray]],
    config: SegmentConfig,
    device: torch.device | str,
    obj_id: int = 1,
    iterations: int | None = None,
) -> Iterator[TrainStep]:
    """Fine-tune ``net`` in place on annotated frames: ``(H×W×3 uint8 RGB, H×W uint8 0/255 mask)`` pairs.

    A generator: each iteration yields a :class:`TrainStep`, so the caller shows progress and
    may stop early. Training cycles through augmented copies of the keyframes (mirror, rotation,
    resize; seeded from ``config.seed`` and ``obj_id``): ``config.augment_copies`` of them, or
    one per keyframe if there are more keyframes, taken from the keyframes in turn so each one
    is an equal share of the training. With ``config.crop_size`` the copies are object-centred
    crops of the full-resolution keyframes at the scale inference crops use, their shift and size
    jittered as the tracked box's will be (``patches.py``), and every ``WHOLE_FRAME_EVERY``-th
    copy a whole frame (all of them where the object is too large to crop). With
    ``config.cache_features`` the frozen stages run once per copy instead of once per step: the
    same steps, computed with less work. ``iterations`` defaults to ``config.finetune_iters``
    (fewer when continuing a fitted net).
    """
    rng = np.random.default_rng([config.seed, obj_id])
    torch.manual_seed(config.seed)
    total = config.finetune_iters if iterations is None else iterations
    n_copies = max(config.augment_copies, len(keyframes))
    new_copy = _crop_copies(net, keyframes, config, device, rng) if config.crop_size else \
        _frame_copies(net, keyframes, config, device, rng)
    optimizer = make_optimizer(net, config.learning_rate, config.frozen_stages)
    # Copies (with their cached features, ~20 MB each at 240 lines) are kept only while a later
    # step will use them again: with a fresh copy per step, memory holds one.
    kept: dict[int, Example] = {}
    for step in range(1, total + 1):
        k = (step - 1) % n_copies
        example = kept.pop(k, None)
        if example is None:
            example = new_copy(k)
        if step + n_copies <= total:
            kept[k] = example
        loss = step_on(net, optimizer, [example])
        yield TrainStep(obj_id, step, total, loss)
    net.eval()


def _frame_copies(net: AppearanceNet, keyframes: Sequence[tuple[np.ndarray, np.ndarray]], config: SegmentConfig,
                  device: torch.device | str, rng: np.random.Generator) -> Callable[[int], Example]:
    """Copy ``k``: keyframe ``k`` (in turn) at ``train_height`` lines, resized, rotated, mirrored."""
    scaled = [
        (resize_to_height(image, config.train_height),
         resize_to_height(mask, config.train_height, interpolation=cv2.INTER_NEAREST))
        for image, mask in keyframes
    ]
    params = AugmentParams(scale_range=config.augment_scale)

    def new_copy(k: int) -> Example:
        image, mask = scaled[k % len(scaled)]
        return make_example(net, *augment(image, mask, rng, params), device, cache=config.cache_features)

    return new_copy


def _crop_copies(net: AppearanceNet, keyframes: Sequence[tuple[np.ndarray, np.ndarray]], config: SegmentConfig,
                 device: torch.device | str, rng: np.random.Generator) -> Callable[[int], Example]:
    """Copy ``k``: a jittered object-centred crop of keyframe ``k`` (in turn), or a whole frame."""
    banks = [FrameBank([pair], device) for pair in keyframes]
    spec = PatchSpec(crop=config.crop_spec, frame_height=config.train_height, scale_range=config.augment_scale)
    croppable = [object_crop(mask_box(mask), mask.shape, config.infer_height, spec.crop) is not None
                 for _, mask in keyframes]

    def new_copy(k: int) -> Example:
        i = k % len(keyframes)
        crop = croppable[i] and (k // len(keyframes)) % WHOLE_FRAME_EVERY != WHOLE_FRAME_EVERY - 1
        x, y = sample_patches(banks[i], 1, crop, rng, spec)
        return example_of(net, x, y, cache=config.cache_features)

    return new_copy
