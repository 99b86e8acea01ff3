"""Frame sources, read one frame at a time: the clip a host segments, and DAVIS image folders.

Frames at stage boundaries are H×W×3 uint8 RGB arrays. Sources never hold more than one
decoded frame, so memory does not grow with clip length. Hosts' clips are decoded by ffmpeg
(:class:`VideoSource`); :class:`ImageFolder` reads the DAVIS benchmark's JPEG folders, where
frames and annotations are paired by file name.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError
from .ffmpeg_input import IMAGE_SUFFIXES, MediaInput, VideoInfo, decode, open_input, probe, read_frame


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
class VideoSource:
    """A clip decoded by ffmpeg: a video file, a folder of images or an ffmpeg pattern.

    The one decoder every host uses (the CLI, the worker, and through it Blender), so they all see
    the same frames, upright by the stream's rotation. Re-iterable (each pass runs its own
    ffmpeg); ``len()`` is the probed frame count, which a full pass checks (see media.decode).
    """

    media: MediaInput
    info: VideoInfo

    @classmethod
    def open(cls, path: str | Path, fps: str | None = None) -> VideoSource:
        """Probe ``path``; ``fps`` is the rate of image sequences (default 25). InputError if unreadable."""
        media = open_input(str(path), fps)
        return cls(media, probe(media))

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames."""
        return self.info.width, self.info.height

    def __len__(self) -> int:
        return self.info.frames

    def __getitem__(self, index: int) -> np.ndarray:
        return read_frame(self.media, self.info, index)

    def __iter__(self) -> Iterator[np.ndarray]:
        return decode(self.media, self.info)


def open_frames(path: str | Path, fps: str | None = None) -> VideoSource:
    """Open a video file, an image folder or an ffmpeg pattern (``frames/%05d.png``) as a frame source."""
    return VideoSource.open(path, fps)
