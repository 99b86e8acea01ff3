"""What both engines of ``vos-matte batch`` share: the status they return per clip and how a process
running clips is held to a number of CPU threads.

The local engine (hosts/ffmpeg/batch.py) and the Ray engine (hosts/ffmpeg/ray_batch.py) both import
this module and not each other; batch.py imports ray_batch only when ``--engine ray`` is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClipStatus:
    """How one clip of a batch ended: ``ok`` with its outputs (``message``), frames and seconds, or
    the failure's ``message``."""

    input: str
    ok: bool
    message: str
    frames: int = 0
    seconds: float = 0.0


def use_threads(threads: int) -> None:
    """Run this process's torch and OpenCV work on ``threads`` CPU threads (both keep their own pool)."""
    import cv2
    import torch

    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
