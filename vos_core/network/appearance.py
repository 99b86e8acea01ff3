"""The category-independent appearance network (OSVOS-style, depth-1 side outputs).

VGG16 conv stages 1–5 → per stage a 1×1 conv to ``side_depth`` channels → bilinear upsampling
to the input size → concatenation → a 1×1 fusion conv → one logit channel. No final pooling,
no FC layers, one loss on the fused output.

``deep_supervision=True`` builds the OSVOS variant the paper compares against: each side output
also gets its own 1×1 scoring conv to one logit channel, so a loss can be put on every stage.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# Caffe VGG16 convention of the shipped ImageNet weights: BGR, 0..255, minus this mean.
CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)

# (input channels, output channels, number of 3×3 convs) per VGG16 stage.
VGG16_STAGES = ((3, 64, 2), (64, 128, 2), (128, 256, 3), (256, 512, 3), (512, 512, 3))


def _vgg16_features() -> nn.Sequential:
    """VGG16 conv layers with torchvision's ``features`` indices, so its state dict keys load as is."""
    layers: list[nn.Module] = []
    for stage, (c_in, c_out, n_convs) in enumerate(VGG16_STAGES):
        if stage > 0:
            layers.append(nn.MaxPool2d(2, 2))
        for i in range(n_convs):
            layers += [nn.Conv2d(c_in if i == 0 else c_out, c_out, 3, padding=1), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def _stage_slices() -> list[slice]:
    """Index ranges of ``features`` for each stage; a stage ends before the next pooling."""
    bounds, start = [], 0
    for stage, (_, _, n_convs) in enumerate(VGG16_STAGES):
        end = start + (1 if stage > 0 else 0) + 2 * n_convs
        bounds.append(slice(start, end))
        start = end
    return bounds


class AppearanceNet(nn.Module):
    """Fully convolutional VGG16 with fused side outputs.

    Input: N×3×H×W float tensor prepared by :func:`to_input`. Output: N×1×H×W logits.
    ``side_depth=1`` is the paper's network; ``side_depth=16, deep_supervision=True`` is the
    OSVOS variant it is compared with.
    """

    def __init__(self, side_depth: int = 1, deep_supervision: bool = False, seed: int = 0) -> None:
        super().__init__()
        # Own generator: heads that no weights file fills (ImageNet init) start the same every run.
        gen = torch.Generator().manual_seed(seed)
        self.side_depth = side_depth
        self.deep_supervision = deep_supervision
        self.features = _vgg16_features()
        self.stages = _stage_slices()
        self.side = nn.ModuleList(nn.Conv2d(c_out, side_depth, 1) for _, c_out, _ in VGG16_STAGES)
        self.fuse = nn.Conv2d(side_depth * len(VGG16_STAGES), 1, 1)
        # Per-stage scoring convs exist only for deep supervision (an empty list otherwise).
        self.side_scores = nn.ModuleList(nn.Conv2d(side_depth, 1, 1) for _ in VGG16_STAGES if deep_supervision)
        for conv in [*self.side, *self.side_scores]:
            nn.init.normal_(conv.weight, std=0.01, generator=gen)
            nn.init.zeros_(conv.bias)
        # Start the fusion as an average of the side outputs.
        nn.init.constant_(self.fuse.weight, 1.0 / (side_depth * len(VGG16_STAGES)))
        nn.init.zeros_(self.fuse.bias)
        # Convolutions run in this dtype under autocast (weights stay float32); None: float32.
        self.compute_dtype: torch.dtype | None = None

    def _autocast(self, x: torch.Tensor) -> torch.autocast:
        return torch.autocast(x.device.type, dtype=self.compute_dtype, enabled=self.compute_dtype is not None)

    def stage_modules(self, stage: int) -> nn.Sequential:
        """The backbone layers of ``stage`` (0-based), for freezing or per-stage learning rates."""
        return self.features[self.stages[stage]]

    def forward(self, x: torch.Tensor, frozen_stages: int = 0) -> torch.Tensor:
        return self.forward_with_sides(x, frozen_stages)[0]

    def forward_with_sides(self, x: torch.Tensor, frozen_stages: int = 0) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Fused logits and, with deep supervision, the N×1×H×W logits of every stage (else ``[]``)."""
        # Frozen stages need no activations kept for backward: skip autograd there.
        with torch.set_grad_enabled(torch.is_grad_enabled() and frozen_stages == 0):
            frozen = self.stage_features(x, frozen_stages)
        return self.forward_from(x, frozen)

    def stage_features(self, x: torch.Tensor, stages: int) -> list[torch.Tensor]:
        """The outputs (before pooling) of the first ``stages`` backbone stages for input ``x``.

        For stages that do not train these are constants, so one-shot fine-tuning computes them
        once per augmented copy and passes them to :meth:`forward_from` at every step.
        """
        outputs = []
        with self._autocast(x):
            for layers in self.stages[:stages]:
                x = self.features[layers](x)
                outputs.append(x)
        return outputs

    def forward_from(self, x: torch.Tensor, early: list[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Finish the forward pass of input ``x`` given the outputs ``early`` of its first stages."""
        size = x.shape[-2:]
        outputs = list(early)
        h = early[-1] if early else x
        with self._autocast(x):
            for layers in self.stages[len(early):]:
                h = self.features[layers](h)
                outputs.append(h)
            sides = [F.interpolate(side(o), size=size, mode="bilinear", align_corners=False)
                     for o, side in zip(outputs, self.side)]
            side_logits = [score(side).float() for score, side in zip(self.side_scores, sides)]
            fused = self.fuse(torch.cat(sides, dim=1))
        # Losses and sigmoids in float32, whatever the convolutions ran in.
        return fused.float(), side_logits


class MapEnsemble(nn.Module):
    """Several fine-tuned copies of one network whose maps are averaged (each copy saw other
    augmented copies of the keyframes, so each errs elsewhere). Called like the network: N×1×H×W
    logits, those of the mean probability."""

    def __init__(self, members: list[AppearanceNet]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        prob = torch.stack([torch.sigmoid(net(x)) for net in self.members]).mean(0)
        return torch.logit(prob, eps=1e-6)


@cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux lists them in /proc/cpuinfo (empty elsewhere); read once,
    as every predictor and device line asks."""
    try:
        return frozenset(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return frozenset()


def compute_dtype(precision: str, device: torch.device | str) -> torch.dtype | None:
    """The dtype the network's convolutions should run in: ``precision`` "float32" → None,
    "bfloat16" → bfloat16, "auto" → bfloat16 where the hardware computes it natively (CUDA
    GPUs that support it; CPUs with AVX512-BF16 or AMX), else None (float32). Elsewhere bfloat16
    is emulated, slower than float32."""
    if precision != "auto":
        return torch.bfloat16 if precision == "bfloat16" else None
    device = torch.device(device)
    if device.type == "cuda":
        native = torch.cuda.is_bf16_supported()
    else:
        native = device.type == "cpu" and bool({"avx512_bf16", "amx_bf16"} & cpu_flags())
    return torch.bfloat16 if native else None


def to_input(image: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """H×W×3 uint8 RGB → 1×3×H×W float tensor in the Caffe BGR, mean-subtracted convention."""
    bgr = torch.from_numpy(np.ascontiguousarray(image[..., ::-1])).to(device=device, dtype=torch.float32)
    mean = torch.tensor(CAFFE_BGR_MEAN, device=device)
    return (bgr - mean).permute(2, 0, 1).unsqueeze(0).contiguous(memory_format=torch.channels_last)
