"""Re-running after a correction: which frames a new keyframe changes, and the record that tells.

Every PNG output folder holds ``.vos-run.json``: what produced it (clip, settings, weights,
range) and each object's keyframes. When a job comes back with the same of all that and only
*added* keyframes, the frames outside the new keyframes' neighbours keep what the last run wrote
(tracking never crosses a keyframe: those frames would come out the same) and only the frames
between the neighbours are segmented again, for every object (objects contest each pixel; the
unchanged ones' fits come back from the fit cache as they were).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from vos_core import SegmentConfig
from vos_core.propagation import Keyframe

from .fit_cache import Notice, clip_identity, file_identity, keyframe_ids, unheard

RECORD = ".vos-run.json"


@dataclass(frozen=True)
class RunRecord:
    """What one run was: ``key`` (clip, settings, weights, object ids), range, keyframe digests."""

    key: str
    start: int
    end: int
    keyframes: dict[str, dict[str, str]]  # object id → {frame: digest of its mask}

    @classmethod
    def of(cls, clip: str | Path, config: SegmentConfig, weights: str | Path, objects: dict[int, list[Keyframe]],
           start: int, end: int, matte: dict | None = None) -> RunRecord:
        """The record of a run; ``matte``: how its mattes were made from the masks (edge settings, bit
        depth), so that changing them runs the whole range again."""
        parts = [clip_identity(clip), file_identity(weights), config.to_dict(), sorted(objects), matte]
        key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]
        return cls(key, start, end, {str(oid): keyframe_ids(keys) for oid, keys in objects.items()})

    @classmethod
    def read(cls, folder: str | Path, notice: Notice = unheard) -> RunRecord | None:
        """The record in an output folder, or None: no folder or no record, or a damaged one (told
        to ``notice``, naming the file; every frame is then segmented again)."""
        path = Path(folder) / RECORD
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, NotADirectoryError):
            return None
        except (OSError, ValueError) as exc:
            notice(f"{path} cannot be read ({type(exc).__name__}), so every frame is segmented again")
            return None
        if not _well_formed(data):
            notice(f"{path} is damaged, so every frame is segmented again")
            return None
        return cls(**data)

    def write(self, folder: str | Path) -> None:
        (Path(folder) / RECORD).write_text(json.dumps(asdict(self)))


def _well_formed(data: object) -> bool:
    """Whether ``data`` has a record's fields with their types: ``keyframes`` maps object ids to
    ``{frame number: digest}``."""
    if not (isinstance(data, dict) and set(data) == {"key", "start", "end", "keyframes"}):
        return False
    numbers = all(type(data[name]) is int for name in ("start", "end"))
    keyframes = data["keyframes"]
    return (isinstance(data["key"], str) and numbers and isinstance(keyframes, dict)
            and all(isinstance(ids, dict) and all(isinstance(f, str) and f.isdigit() and isinstance(d, str)
                                                  for f, d in ids.items()) for ids in keyframes.values()))


def correction_span(old: RunRecord | None, new: RunRecord) -> tuple[int, int] | None:
    """``(first, last)``: the frames to segment again after keyframes were added, or None when
    the whole range must run (no earlier run, nothing added, or anything else differs)."""
    if old is None or (old.key, old.start, old.end) != (new.key, new.start, new.end):
        return None
    first, last = new.end + 1, new.start - 1
    for oid, now in new.keyframes.items():
        before = old.keyframes.get(oid, {})
        if not before.items() <= now.items():
            return None  # a keyframe was removed or redrawn: its whole reach changes
        frames = sorted(int(f) for f in now if new.start <= int(f) <= new.end)
        for added in (int(f) for f in now.keys() - before.keys()):
            if not new.start <= added <= new.end:
                return None  # it only retrains the network, which every frame sees
            left = [f for f in frames if f < added]
            right = [f for f in frames if f > added]
            first = min(first, left[-1] if left else new.start)
            last = max(last, right[0] if right else new.end)
    return (first, last) if first <= last else None


def covering(first: int, last: int, keyframes: Iterable[Collection[int]]) -> tuple[int, int]:
    """``first..last`` grown until it starts and ends on a keyframe of every object (``keyframes``:
    each object's keyframe frames inside the run's range) that has one there or beyond.

    Every object is segmented again in a correction's span, and the predictor tracks only from
    the keyframes inside the range it is given: grown so, each object's frames in the span come
    from the same keyframes as in a whole run.
    """
    keyframes = [set(frames) for frames in keyframes]
    while True:
        start = min((max((f for f in frames if f <= first), default=first) for frames in keyframes), default=first)
        end = max((min((f for f in frames if f >= last), default=last) for frames in keyframes), default=last)
        if (start, end) == (first, last):
            return first, last
        first, last = start, end
