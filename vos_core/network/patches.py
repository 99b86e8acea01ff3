"""Training patches drawn on the device: whole frames and object-centred crops, augmented.

Each patch is one affine warp of a frame (:func:`vos_core.network.crops.crop_warp`: random size, shift,
rotation and mirror) sampled with ``grid_sample``, so a batch of patches costs a few kernels
wherever the frames live (a GPU trains thousands of patches a minute without a CPU bottleneck).

- A **crop** puts the object's long side at ``crop.object_size`` network pixels times a random
  size factor, its centre shifted by up to ``shift`` of the box: the errors of the tracked box
  that places crops at inference.
- A **whole frame** is the frame at ``frame_height`` lines times a random size factor, a window
  of the scaled frame's size at a random place: the whole-frame pass (and the fallback for large
  or lost objects).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from ..config import CropSpec
from ..tracking.boxes import mask_box
from .appearance import CAFFE_BGR_MEAN
from .crops import box_center, crop_warp


@dataclass(frozen=True)
class PatchSpec:
    """How training patches are drawn.

    Attributes:
        crop: the crop geometry of inference.
        crop_fraction: the share of steps whose patches are object-centred crops (the rest are
            whole frames).
        frame_height: whole-frame patches show the frame at this height (network pixels).
        scale_range: random size factor (min, max), drawn log-uniformly.
        shift: a crop's centre moves by up to this fraction of the box's width and height.
        max_rotation: random rotation within ±this many degrees.
        mirror: mirror half of the patches.
    """

    crop: CropSpec = field(default_factory=CropSpec)
    crop_fraction: float = 0.5
    frame_height: int = 240
    scale_range: tuple[float, float] = (0.75, 1.25)
    shift: float = 0.15
    max_rotation: float = 15.0
    mirror: bool = True


class FrameBank:
    """Frames and masks held on the device for patch sampling.

    ``pairs`` are (H×W×3 uint8 RGB, H×W uint8 0/255 mask); frames may differ in size. Stored as
    uint8 (a 480p frame is 1.2 MB), converted per patch.
    """

    def __init__(self, pairs: list[tuple[np.ndarray, np.ndarray]], device: torch.device | str) -> None:
        self.device = torch.device(device)
        self.images = [torch.from_numpy(np.ascontiguousarray(img)).to(self.device).permute(2, 0, 1) for img, _ in pairs]
        self.masks = [torch.from_numpy(np.ascontiguousarray(m > 0)).to(self.device)[None] for _, m in pairs]
        self.shapes = [m.shape for _, m in pairs]
        self.boxes = [mask_box(m) for _, m in pairs]
        self.with_object = [i for i, b in enumerate(self.boxes) if b is not None]

    def __len__(self) -> int:
        return len(self.images)


def random_warp(
    bank: FrameBank, index: int, crop: bool, out_size: tuple[int, int], rng: np.random.Generator, spec: PatchSpec
) -> np.ndarray:
    """A random 2×3 warp (network → frame pixels) of a crop or whole-frame patch of frame ``index``."""
    frame_h, frame_w = bank.shapes[index]
    size = float(np.exp(rng.uniform(*np.log(spec.scale_range))))
    angle = rng.uniform(-spec.max_rotation, spec.max_rotation)
    mirror = bool(spec.mirror and rng.random() < 0.5)
    box = bank.boxes[index] if crop else None
    if box is not None:
        w, h = box[2] - box[0], box[3] - box[1]
        scale = max(max(w, h) / (spec.crop.object_size * size), 1 / spec.crop.max_zoom)
        cx, cy = box_center(box)
        center = (cx + rng.uniform(-spec.shift, spec.shift) * w, cy + rng.uniform(-spec.shift, spec.shift) * h)
    else:
        scale = frame_h / (spec.frame_height * size)
        center = (_anywhere(scale * out_size[1], frame_w, rng), _anywhere(scale * out_size[0], frame_h, rng))
    return crop_warp(center, scale, out_size, (frame_h, frame_w), angle, mirror)


def _anywhere(extent: float, size: int, rng: np.random.Generator) -> float:
    """A uniformly random centre for a window of ``extent`` frame pixels that keeps it inside
    ``[0, size)``; the frame's centre when the window is wider than the frame."""
    half = extent / 2
    if extent >= size:
        return (size - 1) / 2
    return float(rng.uniform(half - 0.5, size - 0.5 - half))


def _theta(warp: np.ndarray, frame_shape: tuple[int, int], out_size: tuple[int, int]) -> torch.Tensor:
    """``warp`` (pixels → pixels) as ``affine_grid``'s normalised 2×3 (align_corners=False)."""
    (frame_h, frame_w), (out_h, out_w) = frame_shape, out_size
    # pixel x ↔ normalised u: u = (2x + 1) / size - 1
    to_norm = np.array([[2 / frame_w, 0, 1 / frame_w - 1], [0, 2 / frame_h, 1 / frame_h - 1], [0, 0, 1]])
    from_norm = np.linalg.inv(np.array([[2 / out_w, 0, 1 / out_w - 1], [0, 2 / out_h, 1 / out_h - 1], [0, 0, 1]]))
    theta = to_norm @ np.vstack([warp, [0, 0, 1]]) @ from_norm
    return torch.tensor(theta[:2], dtype=torch.float32)


def sample_patches(
    bank: FrameBank, count: int, crop: bool, rng: np.random.Generator, spec: PatchSpec
) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` random patches: inputs N×3×h×w (Caffe BGR, mean subtracted, as ``to_input``) and
    targets N×1×h×w (0/1), on the bank's device. Crops are ``spec.crop.side`` square; whole-frame
    patches are the first frame's shape at ``spec.frame_height`` lines."""
    if crop and bank.with_object:
        indices = [bank.with_object[i] for i in rng.integers(len(bank.with_object), size=count)]
        out_size = (spec.crop.side, spec.crop.side)
    else:
        crop = False
        indices = list(rng.integers(len(bank), size=count))
        frame_h, frame_w = bank.shapes[0]
        out_size = (spec.frame_height, round(frame_w * spec.frame_height / frame_h))
    warps = [random_warp(bank, index, crop, out_size, rng, spec) for index in indices]
    # One host-to-device copy for the whole batch's warps.
    thetas = torch.stack([_theta(w, bank.shapes[i], out_size) for w, i in zip(warps, indices)]).to(bank.device)
    mean = torch.tensor(CAFFE_BGR_MEAN, device=bank.device).view(1, 3, 1, 1)
    xs, ys = [], []
    for k, index in enumerate(indices):
        grid = F.affine_grid(thetas[k:k + 1], [1, 1, *out_size], align_corners=False)
        bgr = bank.images[index].flip(0)[None].float() - mean
        # Outside the frame the input is 0 (the mean colour) and the target background.
        xs.append(F.grid_sample(bgr, grid, mode="bilinear", padding_mode="zeros", align_corners=False))
        ys.append(F.grid_sample(bank.masks[index][None].float(), grid, mode="bilinear", padding_mode="zeros",
                                align_corners=False) > 0.5)
    x = torch.cat(xs).contiguous(memory_format=torch.channels_last)
    return x, torch.cat(ys).float()
