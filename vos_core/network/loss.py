"""Class-balanced sigmoid cross-entropy (HED/OSVOS), on the fused output only."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def class_balanced_bce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``-β Σ_fg log σ(x) - (1-β) Σ_bg log(1-σ(x))`` with ``β = |bg| / |all|`` per image.

    Args:
        logits: N×1×H×W raw network output.
        target: N×1×H×W, 1 for object pixels and 0 elsewhere.

    Returns the mean over pixels and images. OSVOS sums instead; the mean keeps one learning
    rate valid at every training resolution.
    """
    target = target.to(logits.dtype)
    dims = tuple(range(1, target.ndim))
    beta = 1.0 - target.mean(dim=dims, keepdim=True)  # fraction of background pixels
    weight = torch.where(target > 0.5, beta, 1.0 - beta)
    return F.binary_cross_entropy_with_logits(logits, target, weight=weight, reduction="mean")
