"""Frame sources: image folders and video files, read one frame at a time.

Frames at stage boundaries are H×W×3 uint8 RGB arrays. Sources never hold more than one
decoded frame, so memory does not grow with clip length.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .errors import InputError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def read_image(path: str | Path) -> np.ndarray:
    """Read an image file as H×W×3 uint8 RGB, or raise InputError."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise InputError(f"cannot read image {path} (missing, or not an image)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


@dataclass(frozen=True)
class ImageFolder:
    """Frames stored as image files in one folder, in file-name order."""

    paths: tuple[Path, ...]

    @classmethod
    def open(cls, folder: str | Path) -> ImageFolder:
        folder = Path(folder)
        paths = tuple(sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES))
        if not paths:
            raise InputError(f"no image files in {folder}")
        return cls(paths)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> np.ndarray:
        if not 0 <= index < len(self.paths):
            raise InputError(f"{self.paths[0].parent} has {len(self.paths)} frames; there is no frame {index}")
        return read_image(self.paths[index])

    def __iter__(self) -> Iterator[np.ndarray]:
        for path in self.paths:
            yield read_image(path)


@dataclass(frozen=True)
class VideoFile:
    """Frames decoded from a video file by OpenCV's bundled FFmpeg."""

    path: Path
    frame_count: int

    @classmethod
    def open(cls, path: str | Path) -> VideoFile:
        path = Path(path)
        cap = cv2.VideoCapture(str(path))
        try:
            ok, _ = cap.read()
            if not cap.isOpened() or not ok:
                raise InputError(f"cannot decode video {path} (not a video, or no frames)")
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        finally:
            cap.release()
        return cls(path, count)

    def __len__(self) -> int:
        # Container frame counts can be estimates; iteration is the truth.
        return self.frame_count

    def __getitem__(self, index: int) -> np.ndarray:
        for i, frame in enumerate(self):
            if i == index:
                return frame
        raise InputError(f"{self.path} has no frame {index}")

    def __iter__(self) -> Iterator[np.ndarray]:
        cap = cv2.VideoCapture(str(self.path))
        try:
            while True:
                ok, frame = cap.read()
                if not ok:
                    return
                yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        finally:
            cap.release()


FrameSource = ImageFolder | VideoFile


def open_frames(path: str | Path) -> FrameSource:
    """Open an image folder or a video file as a frame source."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"input not found: {path}")
    return ImageFolder.open(path) if path.is_dir() else VideoFile.open(path)
