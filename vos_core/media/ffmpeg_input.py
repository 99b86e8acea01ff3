"""Reading the user's input through ffmpeg: probing it and streaming its frames as RGB arrays.

There is no ffprobe in the imageio-ffmpeg wheel, so probing runs one demux-only pass,
``ffmpeg -i IN -map 0:v:0 -c copy -f framecrc -``: its header gives the stream's time base and
size, its one line per packet the exact frame count and frame duration, and its stderr the
stream line ``ffmpeg -i`` prints (``29.97 tbr``). Nothing is decoded, so it costs one read of
the file. The rate is the packet duration's inverse when the time base resolves it (MP4, MOV:
30000/1001 exactly); in coarse time bases (Matroska's milliseconds) the printed rate decides,
read as an NTSC rate (n·1000/1001) where it is one.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import ffmpeg
import numpy as np

from ..errors import InputError
from .ffmpeg_process import FfmpegProcess, argv

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".exr", ".dpx")
DEFAULT_SEQUENCE_FPS = "25"
_TBR = re.compile(r"Stream #\S+.*?: Video: .*?([\d.]+)(k?) tbr")
_SAR = re.compile(r"Stream #\S+.*?: Video: .*?\[SAR (\d+):(\d+) DAR")
# The stream's display matrix, as ffmpeg -i prints it ("Display Matrix" from 7.1, "displaymatrix" before).
_ROTATION = re.compile(r"display ?matrix: rotation of (-?[\d.]+) degrees", re.IGNORECASE)


@dataclass(frozen=True)
class MediaInput:
    """How ffmpeg opens the input: a video path, or an image-sequence pattern with its options."""

    path: str
    options: dict[str, str] = field(default_factory=dict)

    def node(self) -> ffmpeg.nodes.FilterableStream:
        # ffmpeg turns decoded frames upright by the stream's display matrix (phone clips), as
        # players do: the decoder, the writers and the user's mask all see the displayed frame.
        return ffmpeg.input(self.path, **self.options)


@dataclass(frozen=True)
class VideoInfo:
    """The first video stream as displayed: size (upright), exact frame count, time base, frame rate,
    ``rotation``, the display rotation in degrees counter-clockwise that turned it upright, and
    ``sar``, the sample (pixel) aspect ratio of the upright frames, None where the input sets none."""

    width: int
    height: int
    frames: int
    time_base: Fraction
    rate: Fraction
    rotation: int = 0
    sar: Fraction | None = None

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
    proc = FfmpegProcess(argv(graph, loglevel="info"), stdout=subprocess.PIPE)
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
        rc, log = proc.wait(), proc.log_text()
    finally:  # on cancel too: an ffmpeg stuck on a slow or hung input must not outlive us
        proc.kill()
        proc.close()
    if rc != 0:
        raise InputError(_describe_failure(media.path, log))
    if "dimensions" not in header or "tb" not in header:
        raise InputError(f"{media.path} is not a video ffmpeg can read")
    if frames == 0:
        raise InputError(f"{media.path} has no video frames")
    width, height = (int(v) for v in header["dimensions"].split("x"))
    rotation = display_rotation(log)
    if rotation % 180:
        width, height = height, width
    time_base = Fraction(header["tb"])
    duration = max(durations, key=lambda d: (d > 0, durations[d]))
    printed = _TBR.search(log)
    rate = exact_rate(duration * time_base, printed.group(1) + printed.group(2) if printed else None)
    return VideoInfo(width, height, frames, time_base, rate, rotation, sample_aspect(log, rotation))


def sample_aspect(log: str, rotation: int) -> Fraction | None:
    """The first video stream's sample aspect ratio from ffmpeg's input listing, for upright frames
    (a quarter turn swaps it); None where the stream sets none or sets 0:1."""
    found = _SAR.search(log)
    num, den = (int(g) for g in found.groups()) if found else (0, 0)
    if not num or not den:
        return None
    return Fraction(den, num) if rotation % 180 else Fraction(num, den)


def display_rotation(log: str) -> int:
    """The first stream's display rotation from ffmpeg's input listing: 0, 90, 180 or 270.

    ffmpeg's autorotation turns frames by multiples of 90° only, so other angles count as 0.
    """
    found = _ROTATION.search(log)
    angle = round(float(found.group(1))) % 360 if found else 0
    return angle if angle in (0, 90, 180, 270) else 0


def exact_rate(frame_duration: Fraction, printed: str | None) -> Fraction:
    """The frame rate from a packet duration (seconds) and the rate ffmpeg printed (``29.97``, ``1k``)."""
    measured = 1 / frame_duration if frame_duration > 0 else None
    if printed is None:
        return measured or Fraction(DEFAULT_SEQUENCE_FPS)
    shown = Fraction(printed.rstrip("k")) * (1000 if printed.endswith("k") else 1)
    if measured is not None and abs(measured - shown) < Fraction(1, 100):
        return measured  # the time base is fine enough: exact
    ntsc = Fraction(round(shown * Fraction(1001, 1000)) * 1000, 1001)
    return ntsc if abs(ntsc - shown) < Fraction(1, 200) else shown


def _describe_failure(path: str, log: str) -> str:
    if "matches no streams" in log:
        return f"{path} has no video stream"
    if "Permission denied" in log:
        return f"cannot read {path}: permission denied"
    if "No such file" in log:
        return f"input not found: {path}"
    if "End of file" in log:  # a container with a header and nothing after it
        return f"{path} has no video frames"
    error = next((ln.strip() for ln in reversed(log.splitlines()) if ln.strip()), "unknown error")
    return f"{path} is not a video ffmpeg can read ({error})"


def decode(media: MediaInput, info: VideoInfo) -> Iterator[np.ndarray]:
    """Yield each frame as H×W×3 uint8 RGB, one at a time (memory does not grow with clip length).

    Frames are passed through as decoded (no rate conversion), so frame ``n`` here is frame ``n``
    of the input. Closing the generator early stops the decoder. Decoding to the end checks the
    count against the probed ``info.frames`` and raises InputError if they differ: every output
    is written for the probed count and pairs mattes with source frames by position, so a clip
    that decodes to another count (damaged packets, a decoder that drops or adds frames) would
    give misplaced mattes. A frame that fails to decode stops the decoder there (``-xerror``) and
    is an InputError naming it, however early the generator would have been closed: ffmpeg
    otherwise drops it and every later frame comes one place early.
    """
    graph = media.node()["v:0"].output("pipe:", f="rawvideo", pix_fmt="rgb24", fps_mode="passthrough")
    proc = FfmpegProcess(argv(graph.global_args("-xerror")), stdout=subprocess.PIPE)
    frame_bytes = info.width * info.height * 3
    count = 0
    try:
        while True:
            data = proc.proc.stdout.read(frame_bytes)
            if len(data) < frame_bytes:
                break
            count += 1
            yield np.frombuffer(data, np.uint8).reshape(info.height, info.width, 3).copy()  # writable
        if proc.wait() != 0:
            raise InputError(f"decoding {media.path} failed at {_frame_name(media, count)}: {proc.error_text()}")
        if count != info.frames:
            raise InputError(f"{media.path} decoded to {count} frames but its container lists {info.frames}: "
                             "the file may be damaged; re-encode it (e.g. ffmpeg -i IN -c:v ffv1 OUT.mkv)")
    finally:
        proc.kill()
        proc.close()


def _frame_name(media: MediaInput, index: int) -> str:
    """"frame N", with its file for a folder of images (a glob, as :func:`open_input` makes it)."""
    files = sorted(glob.glob(media.path)) if media.options.get("pattern_type") == "glob" else []
    return f"frame {index} ({files[index]})" if index < len(files) else f"frame {index}"


def read_frame(media: MediaInput, info: VideoInfo, index: int) -> np.ndarray:
    """Frame ``index``: ffmpeg decodes up to it and sends only that one (its ``select`` counts
    decoded frames, as :func:`decode` does)."""
    if not 0 <= index < info.frames:
        raise InputError(f"{media.path} has {info.frames} frames; there is no frame {index}")
    files = sorted(glob.glob(media.path)) if media.options.get("pattern_type") == "glob" else []
    if index < len(files):
        # A folder of images: decode that one file. Through the sequence, -xerror could stop at a
        # bad frame after it that ffmpeg's threads reached first (seen on a loaded machine).
        picked = ffmpeg.input(files[index])["v:0"]
    else:
        picked = media.node()["v:0"].filter("select", f"eq(n,{index})")
    graph = picked.output("pipe:", f="rawvideo", pix_fmt="rgb24", fps_mode="passthrough", **{"frames:v": "1"})
    graph = graph.global_args("-xerror")  # a frame before it that fails to decode must not shift the count
    proc = FfmpegProcess(argv(graph), stdout=subprocess.PIPE)
    try:
        data = proc.proc.stdout.read(info.width * info.height * 3)
        error = proc.error_text() if proc.wait() else ""
    finally:
        proc.kill()
        proc.close()
    if error:
        raise InputError(f"{media.path}: a frame up to frame {index} fails to decode ({error})")
    if len(data) < info.width * info.height * 3:
        raise InputError(f"{media.path} has no frame {index}")
    return np.frombuffer(data, np.uint8).reshape(info.height, info.width, 3).copy()
