"""Choosing the compute device for a job (the core never chooses on its own)."""

from __future__ import annotations

import torch

from vos_core import VosError
from vos_core.network.appearance import compute_dtype


def pick_device(requested: str | None = None) -> torch.device:
    """``requested`` if given, else CUDA when present, else Apple MPS, else CPU."""
    if requested:
        try:
            device = torch.device(requested)
        except RuntimeError:
            raise VosError(f"unknown device {requested!r} (use cpu, cuda, cuda:N or mps)") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise VosError("device cuda was requested but no CUDA GPU is available")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe(device: torch.device, precision: str = "float32") -> str:
    """A human-readable device name and what the network computes in under ``precision`` (a
    ``SegmentConfig.precision``), e.g. 'cuda (NVIDIA H100, bfloat16)' or 'cpu (2 threads)'."""
    details = []
    if device.type == "cuda":
        details.append(torch.cuda.get_device_name(device))
    elif device.type == "cpu":
        details.append(f"{torch.get_num_threads()} threads")
    if compute_dtype(precision, device) == torch.bfloat16:
        details.append("bfloat16")
    return f"{device.type} ({', '.join(details)})" if details else device.type
