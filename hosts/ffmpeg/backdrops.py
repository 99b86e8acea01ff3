"""Effect backdrops for ``--composite``: ``--background blur|pop|highlight`` lays the object over its own
clip blurred, turned grey or darkened, instead of over a colour or another clip.

ffmpeg filters on the decoded source, so a composite stays one ffmpeg pass. The blur here is the
whole frame's (the object's colours bleed a little into the background near its edge);
``vos-matte effects --effect blur`` averages background pixels only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import ffmpeg

#: Blur sigma in pixels at 480 lines, and the brightness highlight leaves (plugin.effects' defaults).
BLUR_SIGMA, HIGHLIGHT_DIM = 12.0, 0.35

_FILTERS: dict[str, Callable[[ffmpeg.nodes.FilterableStream, int], ffmpeg.nodes.FilterableStream]] = {
    "blur": lambda video, height: video.filter("gblur", sigma=BLUR_SIGMA * height / 480),
    "pop": lambda video, height: video.filter("hue", s=0),
    "highlight": lambda video, height: video.filter("colorchannelmixer", rr=HIGHLIGHT_DIM, gg=HIGHLIGHT_DIM,
                                                    bb=HIGHLIGHT_DIM),
}
NAMES = tuple(_FILTERS)


def is_effect(background: str | None) -> bool:
    """True if ``--background`` names an effect (and no file of that name exists)."""
    return background in _FILTERS and not Path(background).is_file()


def effect_backdrop(name: str, picture: ffmpeg.nodes.FilterableStream, height: int) -> ffmpeg.nodes.FilterableStream:
    """The source ``picture`` with effect ``name`` applied, to composite the object over."""
    return _FILTERS[name](picture, height)
