"""Options of the commands that make a new picture from a clip and its mattes (``reframe``, ``effects``).

Light on purpose: ``--help`` must not import numpy, ffmpeg-python or the core.
"""

from __future__ import annotations

import argparse

from .formats import choices


def add_clip_options(p: argparse.ArgumentParser) -> None:
    """Input, mattes and output options shared by ``reframe`` and ``effects``."""
    p.add_argument("input", help="video file, folder of images, or ffmpeg pattern like frames/%%05d.png")
    p.add_argument("--mattes", required=True, help="the clip's mattes: a PNG folder or grey video from `segment -o`")
    p.add_argument("--fps", help="frame rate of image-sequence inputs, e.g. 24 or 24000/1001 (default 25)")
    p.add_argument("-o", "--output", metavar="PATH", help=f"the new video: {choices('composite')}")
