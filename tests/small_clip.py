"""A small real clip on disk for the tests that drive the CLI and the worker."""

from __future__ import annotations

from pathlib import Path

import cv2

from vos_core import read_image, read_mask
from vos_core.media.masks import resize_mask


def write_small_clip(root: Path, davis_root: Path, mask_frame: int = 0, ext: str = "jpg") -> Path:
    """Six blackswan frames at 1/4 size (214×120) as ``root/frames/*.<ext>``, and the ground truth
    of frame ``mask_frame`` at that size as ``root/mask.png``; returns ``root``."""
    (root / "frames").mkdir(parents=True)
    for i in range(6):
        frame = read_image(davis_root / f"JPEGImages/480p/blackswan/{i:05d}.jpg")
        cv2.imwrite(str(root / f"frames/{i:05d}.{ext}"), cv2.resize(frame, (214, 120))[..., ::-1])
    mask = read_mask(davis_root / f"Annotations/480p/blackswan/{mask_frame:05d}.png")
    cv2.imwrite(str(root / "mask.png"), resize_mask(mask, 214, 120))
    return root
