"""Object-centred crops: where the appearance network looks when the object is small.

A whole frame at the network's 240 lines leaves a small object 30–60 pixels tall and its thin
parts below a pixel. A crop around the object, scaled so that the object's long side is
``object_size`` network pixels, gives it 2–4× the pixels at the same cost (region-based
trackers such as RAVOS and PReMVOS spend their compute the same way). Training (parent and
one-shot) and inference place crops with the same geometry (:func:`crop_warp`), so the network
sees objects at the scale it learnt.

A crop is an affine warp ``M`` (2×3, float64) from network pixels to frame pixels, both with
pixel centres on integers (OpenCV's convention): cutting is ``cv2.warpAffine`` with
``WARP_INVERSE_MAP``, pasting the map back is the forward warp of the map.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..config import CropSpec
from ..tracking.boxes import Box
from .appearance import CAFFE_BGR_MEAN

#: Frame pixels outside the frame are filled with the network's mean colour (RGB), i.e. zero
#: input: the same as training patches that reach past the frame.
MEAN_RGB = tuple(round(v) for v in CAFFE_BGR_MEAN[::-1])


def crop_warp(
    center: tuple[float, float],
    scale: float,
    out_size: tuple[int, int],
    frame_shape: tuple[int, int],
    angle: float = 0.0,
    mirror: bool = False,
) -> np.ndarray:
    """The 2×3 warp from network pixels of an ``out_size`` (h, w) patch to frame pixels.

    The patch's centre lands on ``center`` (x, y; moved inside the frame where the patch fits
    in it, so a crop at the frame's edge still sees as much frame as it can), one network pixel
    spans ``scale`` frame pixels, rotated by ``angle`` degrees and mirrored if asked.
    """
    out_h, out_w = out_size
    frame_h, frame_w = frame_shape
    cx, cy = (_inside(c, scale * n, size) for c, n, size in ((center[0], out_w, frame_w), (center[1], out_h, frame_h)))
    a = np.deg2rad(angle)
    flip = -1.0 if mirror else 1.0
    rot = scale * np.array([[flip * np.cos(a), -np.sin(a)], [flip * np.sin(a), np.cos(a)]])
    offset = np.array([cx, cy]) - rot @ np.array([(out_w - 1) / 2, (out_h - 1) / 2])
    return np.hstack([rot, offset[:, None]])


def _inside(c: float, extent: float, size: int) -> float:
    """``c`` moved so that a window of ``extent`` frame pixels centred on it lies in ``[0, size)``
    where it fits; a window wider than the frame is centred on the frame."""
    if extent >= size:
        return (size - 1) / 2
    half = extent / 2
    return float(np.clip(c, half - 0.5, size - 0.5 - half))


def box_center(box: Box) -> tuple[float, float]:
    """The centre of ``box`` (x1, y1 exclusive) in pixel-centre coordinates."""
    return (box[0] + box[2]) / 2 - 0.5, (box[1] + box[3]) / 2 - 0.5


def object_crop(box: Box | None, frame_shape: tuple[int, int], frame_height: int, spec: CropSpec) -> np.ndarray | None:
    """The warp of the crop around ``box`` (frame pixels), or None where the whole frame at
    ``frame_height`` lines is the better view: no box (the object is lost), or a crop that would
    not magnify the object ``spec.min_gain`` times more than the whole frame."""
    if box is None:
        return None
    long_side = max(box[2] - box[0], box[3] - box[1])
    scale = max(long_side / spec.object_size, 1 / spec.max_zoom)  # frame pixels per network pixel
    whole = frame_shape[0] / frame_height
    if whole / scale < spec.min_gain:
        return None
    return crop_warp(box_center(box), scale, (spec.side, spec.side), frame_shape)


def cut(frame: np.ndarray, warp: np.ndarray, out_size: tuple[int, int]) -> np.ndarray:
    """The patch of ``frame`` (H×W×3 uint8 RGB) that ``warp`` places: out_h×out_w×3 uint8,
    the mean colour where it reaches past the frame."""
    out_h, out_w = out_size
    return cv2.warpAffine(frame, warp, (out_w, out_h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=MEAN_RGB)


def paste(patch_map: np.ndarray, warp: np.ndarray, frame_shape: tuple[int, int]) -> np.ndarray:
    """A crop's map (h×w float32 0..1) laid back on the frame: H×W float32, 0 outside the crop."""
    frame_h, frame_w = frame_shape
    return cv2.warpAffine(patch_map.astype(np.float32), warp, (frame_w, frame_h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
