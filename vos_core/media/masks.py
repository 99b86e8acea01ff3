"""Reading and checking the masks an editor draws: one object per file, or an index PNG of several.

Masks at stage boundaries are H×W uint8 arrays holding 0 (background) or 255 (object).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import InputError


def read_mask(path: str | Path) -> np.ndarray:
    """Read a mask image as H×W uint8 0/255.

    Grey, grey+alpha and RGB(A) PNGs use their first channel (>= 128 is object); palette PNGs
    (DAVIS annotations) count every non-zero index as object.
    """
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode == "P":
                return np.where(np.asarray(im) > 0, 255, 0).astype(np.uint8)
            first = np.asarray(im.convert("L") if im.mode in ("1", "I", "I;16", "F") else im)
    except FileNotFoundError:
        raise InputError(f"mask file not found: {path}") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"cannot read mask {path}: {exc}") from None
    if first.ndim == 3:
        first = first[..., 0]
    return np.where(first >= 128, 255, 0).astype(np.uint8)


def read_index_mask(path: str | Path) -> dict[int, np.ndarray]:
    """Read an index PNG (palette or grey, as DAVIS-2017 ships) as ``{value: H×W uint8 0/255}``.

    Every non-zero pixel value is one object's id; 0 is background. InputError for an RGB image
    (its colours are not ids) or an image with no object at all.
    """
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode not in ("P", "L", "I", "I;16"):
                raise InputError(f"index mask {path} is {im.mode}: save it as a palette or grey PNG whose values are ids")
            values = np.asarray(im)
    except FileNotFoundError:
        raise InputError(f"mask file not found: {path}") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"cannot read mask {path}: {exc}") from None
    ids = [int(v) for v in np.unique(values) if v != 0]
    if not ids:
        raise InputError(f"index mask {path} holds no object (every pixel is 0)")
    return {obj_id: np.where(values == obj_id, 255, 0).astype(np.uint8) for obj_id in ids}


def fit_mask(mask: np.ndarray, size: tuple[int, int], resize: bool, what: str) -> np.ndarray:
    """``mask`` at the frame ``size`` (width, height), checked (see validate_mask); InputError if it does not fit.

    A mask of another size is scaled only when ``resize`` is set, so a mask drawn for another clip
    is not silently stretched.
    """
    width, height = size
    if mask.shape != (height, width):
        if not resize:
            raise InputError(f"{what} is {mask.shape[1]}×{mask.shape[0]} but the video is {width}×{height}; "
                             "pass --resize-mask to scale it")
        mask = resize_mask(mask, width, height)
    return validate_mask(mask, (height, width), what)


def validate_mask(mask: np.ndarray, frame_shape: tuple[int, ...], what: str = "mask") -> np.ndarray:
    """Check a mask against the frame it annotates and return it as H×W uint8 0/255.

    Raises InputError for a size mismatch, an empty mask or a mask covering the whole frame
    (both mean the editor's drawing did not come through).
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise InputError(f"{what} must be a single-channel H×W image, got shape {mask.shape}")
    h, w = frame_shape[:2]
    if mask.shape != (h, w):
        raise InputError(f"{what} is {mask.shape[1]}×{mask.shape[0]} but the frame is {w}×{h}")
    binary = np.where(mask > 0, 255, 0).astype(np.uint8)
    covered = np.count_nonzero(binary)
    if covered == 0:
        raise InputError(f"{what} is empty: draw the object on the frame first")
    if covered == binary.size:
        raise InputError(f"{what} covers the whole frame: nothing would be cut out")
    return binary


def resize_mask(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize a 0/255 mask to width×height, staying binary."""
    resized = cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.where(resized >= 128, 255, 0).astype(np.uint8)


def write_mask(path: str | Path, mask: np.ndarray) -> None:
    """Write an H×W uint8 mask as an 8-bit grey PNG, atomically (temp file, then rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    if not cv2.imwrite(str(tmp), mask):
        raise InputError(f"cannot write {path}")
    tmp.replace(path)
