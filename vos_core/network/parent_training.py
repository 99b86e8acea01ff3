"""Offline parent-network training on DAVIS training sequences.

Same network, loss and per-layer learning rates as one-shot fine-tuning
(:mod:`vos_core.network.training`). Each step is a batch of patches (:mod:`vos_core.network.patches`): whole
frames at the whole-frame pass's height, or object-centred crops at the scale inference crops
use, cut from frames at any resolution (the 480p set gives crops their detail). Resumable:
``last.pt`` in the run folder holds the network, the optimiser's momentum, the iteration and
the random state, and is replaced atomically.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import WeightsError
from ..eval.davis import load_sequences
from .appearance import AppearanceNet, compute_dtype
from .checkpoints import load_net, save_parent
from .patches import FrameBank, PatchSpec, sample_patches
from .training import LR_POLICY, Example, make_optimizer, step_on


@dataclass(frozen=True)
class ParentTrainConfig:
    """Parent training settings.

    Defaults fit a 2-core CPU: one patch per step, stages 1–2 frozen (``LR_POLICY``), learning
    rate ×0.1 for the last ``1 - lr_drop_at`` of the run. ``batch`` patches go through the
    network together (a GPU); ``accumulate`` > 1 averages the gradients of that many batches per
    step (a larger batch in the memory of one; OSVOS accumulated 10). ``patches`` says how
    patches are drawn (crops or whole frames); ``precision`` what the convolutions compute in.
    """

    iterations: int = 4000
    learning_rate: float = 3e-3
    lr_drop_at: float = 0.8
    checkpoint_every: int = 250
    side_depth: int = 1
    deep_supervision: bool = False  # True with side_depth=16: the OSVOS variant
    seed: int = 0
    accumulate: int = 1
    batch: int = 1
    patches: PatchSpec = field(default_factory=PatchSpec)
    precision: str = "auto"


@dataclass(frozen=True)
class ParentProgress:
    iteration: int
    total: int
    loss: float  # mean over the last logging window
    images_per_s: float


def _load_training_frames(davis_root: Path, split: str, resolution: str) -> list[tuple[np.ndarray, np.ndarray]]:
    pairs = []
    for seq in load_sequences(davis_root, split=split, resolution=resolution):
        pairs += list(seq.pairs())
    return pairs


def train_parent(
    davis_root: str | Path,
    run_dir: str | Path,
    init_weights: str | Path,
    config: ParentTrainConfig = ParentTrainConfig(),
    split: str = "train",
    resolution: str = "240p",
    device: str = "cpu",
    log_every: int = 25,
) -> Iterator[ParentProgress]:
    """Train (or resume) a parent network, yielding progress every ``log_every`` iterations.

    Writes ``run_dir/last.pt`` (resume state) and ``run_dir/parent_iter{N}.pth`` (float16
    parent checkpoints) every ``config.checkpoint_every`` iterations and at the end.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    data = _load_training_frames(Path(davis_root), split, resolution)
    torch.manual_seed(config.seed)
    net, _ = load_net(init_weights)
    if (net.side_depth, net.deep_supervision) != (config.side_depth, config.deep_supervision):
        fresh = AppearanceNet(config.side_depth, config.deep_supervision)
        fresh.features.load_state_dict(net.features.state_dict())
        net = fresh
    net.to(device)
    net.compute_dtype = compute_dtype(config.precision, device)
    bank = FrameBank(data, device)
    optimizer = make_optimizer(net, config.learning_rate)
    base_lrs = [g["lr"] for g in optimizer.param_groups]
    start, rng = 0, np.random.default_rng(config.seed)
    resume = run_dir / "last.pt"
    if resume.exists():
        try:  # tensors, numbers and strings only: a planted pickle must not run code
            state = torch.load(resume, map_location=device, weights_only=True)
        except Exception as exc:  # noqa: BLE001 - torch raises many types for truncated or foreign files
            # torch's own message suggests weights_only=False: not advice to pass on.
            raise WeightsError(f"cannot resume from {resume}: it is damaged or not a train-parent resume file "
                               f"({type(exc).__name__}). Remove it to start afresh.") from None
        net.load_state_dict(state["net"])
        optimizer.load_state_dict(state["optimizer"])
        start, rng.bit_generator.state = state["iteration"], state["rng"]
    window, t0 = [], time.perf_counter()
    for it in range(start + 1, config.iterations + 1):
        lr_scale = 0.1 if it > config.lr_drop_at * config.iterations else 1.0
        for group, base in zip(optimizer.param_groups, base_lrs):
            group["lr"] = base * lr_scale
        crops = rng.random() < config.patches.crop_fraction
        examples = [Example(*sample_patches(bank, config.batch, crops, rng, config.patches), [])
                    for _ in range(config.accumulate)]
        window.append(step_on(net, optimizer, examples))
        if it % config.checkpoint_every == 0 or it == config.iterations:
            meta = {"iterations": it, "train_config": asdict(config), "lr_policy": asdict(LR_POLICY),
                    "data": f"DAVIS-2016 {split} ({len(data)} frames, {resolution})"}
            save_parent(net, run_dir / f"parent_iter{it}.pth", meta)
            tmp = resume.with_suffix(".tmp")
            torch.save({"net": net.state_dict(), "optimizer": optimizer.state_dict(),
                        "iteration": it, "rng": rng.bit_generator.state}, tmp)
            tmp.replace(resume)
        # After the checkpoint: a caller that stops at this progress report loses no step.
        if it % log_every == 0 or it == config.iterations:
            dt = time.perf_counter() - t0
            yield ParentProgress(it, config.iterations, float(np.mean(window)),
                                 len(window) * config.accumulate * config.batch / dt)
            window, t0 = [], time.perf_counter()
