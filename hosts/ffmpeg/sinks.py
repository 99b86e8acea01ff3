"""Writing mattes through an ffmpeg process, with commit/abort like plugin.outputs.PngSequenceWriter.

Each sink runs one ffmpeg that reads raw grey mattes on stdin and, for alpha and composite
outputs, the original input again (so colour keeps its source bit depth and audio is passed
through). Output goes to a hidden temporary name and is renamed into place only by commit().
"""

from __future__ import annotations

import re
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Self

import ffmpeg
import numpy as np

from plugin.outputs import MARKER, check_replaceable, move_into_place, partial_path
from vos_core import VosError
from vos_core.matte.alpha import quantize
from vos_core.media.ffmpeg_input import MediaInput, VideoInfo
from vos_core.media.ffmpeg_process import FfmpegProcess, argv

from .backdrops import effect_backdrop, is_effect
from .formats import OutputFormat, UsageError, choices

#: Mattes travel to ffmpeg as 16-bit grey, so soft alpha keeps its levels in deeper grey and alpha
#: formats (8-bit mattes, ×257, come out of 8-bit formats unchanged).
MATTE_PIX_FMT = "gray16le"


def _rate(rate: Fraction) -> str:
    return f"{rate.numerator}/{rate.denominator}"


def background_node(background: str, info: VideoInfo) -> ffmpeg.nodes.FilterableStream:
    """A clip (scaled and retimed to the input) or a solid colour (ffmpeg colour syntax) to composite over."""
    if Path(background).is_file():
        clip = ffmpeg.input(background)["v:0"].filter("scale", info.width, info.height)
        return clip.filter("fps", _rate(info.rate)).filter("setpts", "PTS-STARTPTS")
    colour = ffmpeg.input(f"color=c={background}:s={info.size}:r={_rate(info.rate)}", f="lavfi")
    # Try it now (milliseconds) rather than when the first matte arrives, after fine-tuning.
    valid = background.replace("#", "").replace("@", "").replace(".", "").isalnum()
    if not valid or subprocess.run(argv(colour.output("-", f="null", frames=1)), capture_output=True, check=False).returncode:
        raise UsageError(f"--background {background!r} is neither a file nor a colour (e.g. green, #00ff00)")
    return colour


def build_graph(
    fmt: OutputFormat, target: str, media: MediaInput, info: VideoInfo, background: str | None = None
) -> ffmpeg.nodes.OutputStream:
    """The ffmpeg-python graph writing ``fmt`` to ``target`` from mattes on stdin (raw 16-bit grey, CFR)."""
    source = media.node()
    mattes = ffmpeg.input("pipe:", f="rawvideo", pix_fmt=MATTE_PIX_FMT, s=info.size, framerate=_rate(info.rate))
    if info.sar is not None:  # filters joining two inputs (mergeplanes) refuse differing pixel aspects
        mattes = mattes.filter("setsar", f"{info.sar.numerator}/{info.sar.denominator}")
    if fmt.kind == "matte":
        video = mattes
    else:
        # The raw mattes start at 0; the source may not, and alphamerge pairs frames by timestamp.
        picture = source["v:0"].filter("setpts", "PTS-STARTPTS")
        backdrop = None
        if fmt.kind == "composite" and is_effect(background):  # the object over its own clip, changed
            split = picture.split()
            picture, backdrop = split[0], effect_backdrop(background, split[1], info.height)
        if deep_alpha(fmt):
            video = merge_deep_alpha(picture, mattes)
        else:
            video = ffmpeg.filter([picture, mattes], "alphamerge")
        if fmt.kind == "composite":
            video = ffmpeg.overlay(backdrop or background_node(background or "black", info), video, shortest=1)
    return output_graph(fmt, target, video, source, info)


def deep_alpha(fmt: OutputFormat) -> bool:
    """Whether ``fmt`` stores alpha with more than 8 bits (ProRes 4444 and FFV1 at yuva444p10le)."""
    pix_fmt = fmt.video.get("pix_fmt", "")
    return pix_fmt.startswith("yuva") and pix_fmt.endswith("le")


def merge_deep_alpha(picture: ffmpeg.nodes.FilterableStream, mattes: ffmpeg.nodes.FilterableStream) -> ffmpeg.nodes.FilterableStream:
    """RGB + alpha at 16 bits per channel, for formats whose alpha has more than 8 bits.

    alphamerge works at 8 bits whatever its inputs; mergeplanes keeps the 16-bit mattes (and,
    with RGB planes, no luma range conversion squeezes the alpha plane).
    """
    planes = {"map0s": 0, "map0p": 0, "map1s": 0, "map1p": 1, "map2s": 0, "map2p": 2, "map3s": 1, "map3p": 0}
    return ffmpeg.filter([picture.filter("format", "gbrp16le"), mattes], "mergeplanes", format="gbrap16le", **planes)


def output_graph(
    fmt: OutputFormat, target: str, video: ffmpeg.nodes.FilterableStream, source: ffmpeg.nodes.FilterableStream,
    info: VideoInfo,
) -> ffmpeg.nodes.OutputStream:
    """Encode ``video`` as ``fmt`` to ``target``, with ``source``'s audio where the format takes it."""
    streams = [video]
    options = {**fmt.video, "f": fmt.muxer, "frames:v": str(info.frames), "fps_mode": "passthrough"}
    if fmt.audio is not None:
        streams.append(source["a?"])
        options.update(fmt.audio)
    if fmt.muxer == "mov" and info.time_base.numerator == 1:
        options["video_track_timescale"] = str(info.time_base.denominator)
    if fmt.is_sequence:
        options["start_number"] = "0"
    return ffmpeg.output(*streams, target, **options)


def check_encodable(fmt: OutputFormat, path: str, info: VideoInfo) -> None:
    """UsageError now, before any segmenting, if ``fmt``'s encoder refuses frames of the input's size.

    One frame of a solid colour goes through the same encoder settings (tens of milliseconds);
    H.264 4:2:0, for one, needs an even width and height.
    """
    colour = ffmpeg.input(f"color=c=black:s={info.size}:r={_rate(info.rate)}", f="lavfi")
    trial = subprocess.run(argv(colour.output("-", f="null", frames=1, **fmt.video)), capture_output=True, check=False)
    if trial.returncode:
        said = next((ln.strip() for ln in trial.stderr.decode(errors="replace").splitlines() if ln.strip()), "")
        said = re.sub(r"^\[\S+ @ 0x[0-9a-f]+\] ", "", said)  # "[libx264 @ 0x55...] "
        odd = ", which needs an even width and height" if info.width % 2 or info.height % 2 else ""
        raise UsageError(
            f"--{fmt.kind} {path}: {fmt.label} cannot encode this {info.width}×{info.height} video{odd} "
            f"(ffmpeg: {said}); use another suffix: {choices(fmt.kind)}"
        )


class FfmpegSink:
    """Writes one output; use as a context manager (commit on a clean exit, abort on an exception).

    Until the commit it is written to a hidden partial name, marked with ``tag`` where one is given
    (see plugin.outputs.partial_path).
    """

    def __init__(
        self, fmt: OutputFormat, path: str | Path, media: MediaInput, info: VideoInfo, background: str | None = None,
        tag: str = "",
    ) -> None:
        self.fmt, self.path, self.info = fmt, Path(path), info
        self.partial = partial_path(self.path, tag, self.fmt.suffix)
        self.count = 0
        self._graph = self.graph(media, background)
        self._proc: FfmpegProcess | None = None
        self.committed = False
        self._closed = False  # committed or aborted: nothing left for __exit__ to do

    def graph(self, media: MediaInput, background: str | None) -> ffmpeg.nodes.OutputStream:
        """The ffmpeg graph this sink runs (a subclass may feed it other frames than grey mattes)."""
        return build_graph(self.fmt, str(self._target()), media, self.info, background)

    def _target(self) -> Path:
        return self.partial / "%05d.png" if self.fmt.is_sequence else self.partial

    def __enter__(self) -> Self:
        if self.fmt.is_sequence:  # refused now, not after segmenting, if it is not ours to replace
            check_replaceable(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._remove_partial()
            if self.fmt.is_sequence:
                self.partial.mkdir()
                (self.partial / MARKER).touch()
            else:
                self.partial.touch()
        except OSError as exc:
            raise VosError(f"cannot write {self.path}: {exc.strerror}") from None
        try:
            self._proc = FfmpegProcess(argv(self._graph), stdin=subprocess.PIPE)
        except BaseException:
            self._remove_partial()  # __exit__ does not run when __enter__ fails
            raise
        return self

    def write(self, frame: np.ndarray) -> None:
        """Append one frame: a matte, H×W uint8 0..255 or float32 alpha 0..1 (sent as 16-bit grey),
        or, to a sink whose graph reads RGB, H×W×3 uint8."""
        data = quantize(frame, 16) if frame.ndim == 2 else np.ascontiguousarray(frame, dtype=np.uint8)
        try:
            self._proc.proc.stdin.write(data.tobytes())
        except BrokenPipeError:
            self._proc.wait()
            raise VosError(f"ffmpeg stopped writing {self.path}: {self._proc.error_text()}") from None
        self.count += 1

    def commit(self) -> Path:
        """Finish encoding and move the result into place (replacing an older one)."""
        if self._proc.wait() != 0:
            raise VosError(f"ffmpeg failed writing {self.path}: {self._proc.error_text()}")
        self._proc.close()
        move_into_place(self.partial, self.path)
        self.committed = self._closed = True
        return self.path

    def abort(self) -> None:
        """Stop ffmpeg and delete what it wrote; an older result at ``path`` is left untouched."""
        if self._proc:
            self._proc.kill()
            self._proc.close()
        self._remove_partial()
        self._closed = True

    def _remove_partial(self) -> None:
        if self.partial.is_dir():
            shutil.rmtree(self.partial)
        else:
            self.partial.unlink(missing_ok=True)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._closed:
            return
        if exc_type is None:
            try:
                self.commit()
            except BaseException:
                self.abort()
                raise
        else:
            self.abort()
