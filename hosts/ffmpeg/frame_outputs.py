"""Commands that turn a clip and its mattes into a new picture (reframe, effects): reading the matte
sequence next to the clip, and writing RGB frames through ffmpeg with the clip's audio.

The mattes are what ``vos-matte segment -o`` wrote (a PNG folder or a grey video); they are decoded
alongside the clip, one frame of each in memory at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import ffmpeg
import numpy as np

from .sinks import FfmpegSink, _rate, output_graph


class RgbSink(FfmpegSink):
    """Writes H×W×3 uint8 RGB frames of ``info``'s size as a composite-kind format, with the source's audio.

    ``info`` may be the source's with another width and height (a crop); rate and frame count are the source's.
    """

    def graph(self, media, background):  # background: nothing is laid under RGB frames
        frames = ffmpeg.input("pipe:", f="rawvideo", pix_fmt="rgb24", s=self.info.size, framerate=_rate(self.info.rate))
        return output_graph(self.fmt, str(self._target()), frames, media.node(), self.info)


def open_clip_and_mattes(clip: str, mattes: str, fps: str | None):
    """Probe the clip and its matte sequence; InputError unless they have the same size and frame count.

    Returns ``(media, info, matte_media, matte_info)``.
    """
    from vos_core import InputError
    from vos_core.media.ffmpeg_input import open_input, probe

    media = open_input(clip, fps)
    info = probe(media)
    matte_media = open_input(mattes, fps)
    matte_info = probe(matte_media)
    if (matte_info.width, matte_info.height, matte_info.frames) != (info.width, info.height, info.frames):
        raise InputError(
            f"the mattes {mattes} ({matte_info.size}, {matte_info.frames} frames) do not match "
            f"{clip} ({info.size}, {info.frames} frames)"
        )
    return media, info, matte_media, matte_info


def decode_mattes(media, info) -> Iterator[np.ndarray]:
    """Each matte of a grey sequence as H×W uint8 (ffmpeg decodes to RGB; grey has equal channels)."""
    from vos_core.media.ffmpeg_input import decode

    for rgb in decode(media, info):
        yield rgb[..., 0]


def resized(info, width: int, height: int):
    """``info`` with another frame size (what an RGB sink of a crop is told)."""
    return replace(info, width=width, height=height)
