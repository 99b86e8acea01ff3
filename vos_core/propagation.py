"""Segmenting outward from keyframes: which tracker runs a clip needs, and where they are joined.

Each object is tracked from every keyframe in both directions, up to its neighbouring keyframes
(or the ends of the range). Between two keyframes a forward run (from the left one) and a
backward run (from the right one) cover the same frames; the output switches from one to the
other at the frame where the two agree best, so there is no jump where they meet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from .errors import InputError


@dataclass(frozen=True)
class Keyframe:
    """A mask drawn on one frame of the clip: ``mask`` is H×W uint8 0/255."""

    frame: int
    mask: np.ndarray


@dataclass(frozen=True)
class Run:
    """One tracker pass: started at keyframe ``origin``, then stepped through ``frames`` in order."""

    origin: int
    frames: range

    @property
    def forward(self) -> bool:
        return self.frames.step > 0


def plan_runs(keyframes: Sequence[int], start: int, end: int) -> list[Run]:
    """The runs that cover frames ``start..end`` (inclusive) from the keyframes inside that range.

    Before the first keyframe only a backward run reaches, after the last only a forward one;
    every gap between two keyframes gets one run from each side.
    """
    inside = sorted({k for k in keyframes if start <= k <= end})
    if not inside:
        raise InputError(f"no keyframe inside frames {start}..{end}: draw the object on a frame in the range")
    runs = [Run(inside[0], range(inside[0] - 1, start - 1, -1))]
    for left, right in pairwise(inside):
        runs.append(Run(left, range(left + 1, right)))
        runs.append(Run(right, range(right - 1, left, -1)))
    runs.append(Run(inside[-1], range(inside[-1] + 1, end + 1)))
    return [run for run in runs if len(run.frames)]


def streams_forward(keyframes: Sequence[int], start: int, end: int) -> bool:
    """True when one forward pass does it all: the only keyframe in range is its first frame."""
    return {k for k in keyframes if start <= k <= end} == {start}


def join_index(agreement: Sequence[float]) -> int:
    """Where, in a gap of frames between two keyframes, the forward run hands over to the backward one.

    ``agreement[i]`` is the IoU of the two runs' masks on the gap's i-th frame. Returns the
    number of leading frames taken from the forward run: up to and including the frame of best
    agreement (ties: the one nearest the middle of the gap, where both runs are equally far from
    their keyframes).
    """
    if not len(agreement):
        return 0
    values = np.asarray(agreement, dtype=np.float64)
    middle = (len(values) - 1) / 2
    best = min(np.flatnonzero(values == values.max()), key=lambda i: abs(i - middle))
    return int(best) + 1

