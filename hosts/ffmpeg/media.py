"""Reading the user's input through ffmpeg: probing it and streaming its frames as RGB arrays.

Probing runs one demux-only pass, ``ffmpeg -i IN -map 0:v:0 -c copy -f framecrc -``: its header
gives the stream's exact time base and size, and its one line per packet gives the exact frame
count and frame duration (so 30000/1001 stays exact, where the ``29.97 fps`` printed by
``ffmpeg -i`` is rounded). Nothing is decoded, so it costs one read of the file.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import ffmpeg
import numpy as np

from vos_core import InputError

from .tool import FfmpegProcess, argv

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".exr", ".dpx")
DEFAULT_SEQUENCE_FPS = "25"


@dataclass(frozen=True)
class MediaInput:
    """How ffmpeg opens the input: a video path, or an image-sequence pattern with its options."""

    path: str
    options: dict[str, str] = field(default_factory=dict)

    def node(self) -> ffmpeg.nodes.FilterableStream:
        # Frames are used as stored: decoder, writers and the user's mask all see the same size.
        return ffmpeg.input(self.path, noautorotate=None, **self.options)


@dataclass(frozen=True)
class VideoInfo:
    """The first video stream: storage size, exact frame count, time base and frame rate."""

    width: int
    height: int
    frames: int
    time_base: Fraction
    rate: Fraction

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


def open_input(path: str, fps: str | None = None) -> MediaInput:
    """Describe ``path``: a video file, a folder of images, or an ffmpeg pattern like ``f/%05d.png``.

    ``fps`` sets the rate of image sequences (default 25); it is ignored for video files.
    """
    rate = {"framerate": fps or DEFAULT_SEQUENCE_FPS}
    if "%" in path:
        return MediaInput(path, rate)
    p = Path(path)
    if not p.exists():
        raise InputError(f"input not found: {path}")
    if not os.access(p, os.R_OK):
        raise InputError(f"cannot read {path}: permission denied")
    if p.is_dir():
        # The glob is case-sensitive, so keep the suffix as spelled; the commonest one wins.
        counts = Counter(f.suffix for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        if not counts:
            raise InputError(f"{path} has no frames (no image files in the folder)")
        return MediaInput(str(p / f"*{counts.most_common(1)[0][0]}"), {"pattern_type": "glob", **rate})
    return MediaInput(path)


def probe(media: MediaInput) -> VideoInfo:
    """Size, frame count, time base and frame rate of the first video stream, or InputError."""
    graph = media.node()["v:0"].output("pipe:", f="framecrc", c="copy")
    proc = FfmpegProcess(argv(graph), stdout=subprocess.PIPE)
    header: dict[str, str] = {}
    durations: Counter[int] = Counter()
    frames = 0
    try:
        for raw in proc.proc.stdout:
            text = raw.decode(errors="replace").strip()
            if text.startswith("#"):
                key, _, value = text[1:].partition(":")
                header[key.split()[0]] = value.strip()
            elif text:
                frames += 1
                durations[int(text.split(",")[3])] += 1
        rc, error = proc.wait(), proc.error_text()
    finally:
        proc.close()
    if rc != 0:
        raise InputError(_describe_failure(media.path, error))
    if "dimensions" not in header or "tb" not in header:
        raise InputError(f"{media.path} is not a video ffmpeg can read")
    if frames == 0:
        raise InputError(f"{media.path} has no video frames")
    width, height = (int(v) for v in header["dimensions"].split("x"))
    time_base = Fraction(header["tb"])
    duration = max(durations, key=lambda d: (d > 0, durations[d]))
    rate = 1 / (duration * time_base) if duration > 0 else Fraction(media.options.get("framerate", "25"))
    return VideoInfo(width, height, frames, time_base, rate)


def _describe_failure(path: str, error: str) -> str:
    if "matches no streams" in error:
        return f"{path} has no video stream"
    if "Permission denied" in error:
        return f"cannot read {path}: permission denied"
    if "No such file" in error:
        return f"input not found: {path}"
    return f"{path} is not a video ffmpeg can read ({error or 'unknown error'})"


def decode(media: MediaInput, info: VideoInfo) -> Iterator[np.ndarray]:
    """Yield each frame as H×W×3 uint8 RGB, one at a time (memory does not grow with clip length).

    Frames are passed through as decoded (no rate conversion), so frame ``n`` here is frame ``n``
    of the input. Closing the generator early stops the decoder.
    """
    graph = media.node()["v:0"].output("pipe:", f="rawvideo", pix_fmt="rgb24", fps_mode="passthrough")
    proc = FfmpegProcess(argv(graph), stdout=subprocess.PIPE)
    frame_bytes = info.width * info.height * 3
    try:
        while True:
            data = proc.proc.stdout.read(frame_bytes)
            if len(data) < frame_bytes:
                break
            yield np.frombuffer(data, np.uint8).reshape(info.height, info.width, 3).copy()  # writable
        if proc.wait() != 0:
            raise InputError(f"decoding {media.path} failed: {proc.error_text()}")
    finally:
        proc.kill()
        proc.close()


def read_frame(media: MediaInput, info: VideoInfo, index: int) -> np.ndarray:
    """Frame ``index`` (decodes the frames before it; annotated frames are usually early)."""
    if not 0 <= index < info.frames:
        raise InputError(f"{media.path} has {info.frames} frames; there is no frame {index} to hold the mask")
    frames = decode(media, info)
    try:
        for i, frame in enumerate(frames):
            if i == index:
                return frame
    finally:
        frames.close()
    raise InputError(f"{media.path} has no frame {index}")
