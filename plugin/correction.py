"""Re-running after a correction: which frames a new keyframe changes, and the record that tells.

Every PNG output folder holds ``.vos-run.json``: what produced it (clip, settings, weights,
range) and each object's keyframes. When a job comes back with the same of all that and only
*added* keyframes, the frames outside the new keyframes' neighbours keep what the last run wrote
(tracking never crosses a keyframe: those frames would come out the same) and only the frames
between the neighbours are segmented again, for the objects that changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from vos_core import SegmentConfig
from vos_core.propagation import Keyframe

from .fit_cache import file_identity, keyframe_ids

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
        parts = [file_identity(clip), file_identity(weights), config.to_dict(), sorted(objects), matte]
        key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]
        return cls(key, start, end, {str(oid): keyframe_ids(keys) for oid, keys in objects.items()})

    @classmethod
    def read(cls, folder: str | Path) -> RunRecord | None:
        """The record in an output folder, or None (no folder, no record, or an unreadable one)."""
        try:
            return cls(**json.loads((Path(folder) / RECORD).read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def write(self, folder: str | Path) -> None:
        (Path(folder) / RECORD).write_text(json.dumps(asdict(self)))


def correction_span(old: RunRecord | None, new: RunRecord) -> tuple[int, int, set[int]] | None:
    """``(first, last, changed object ids)``: the frames to segment again after keyframes were
    added, or None when the whole range must run (no earlier run, or anything else differs)."""
    if old is None or (old.key, old.start, old.end) != (new.key, new.start, new.end):
        return None
    changed, first, last = set(), new.end + 1, new.start - 1
    for oid, now in new.keyframes.items():
        before = old.keyframes.get(oid, {})
        if not before.items() <= now.items():
            return None  # a keyframe was removed or redrawn: its whole reach changes
        frames = sorted(int(f) for f in now if new.start <= int(f) <= new.end)
        for added in (int(f) for f in now.keys() - before.keys()):
            if not new.start <= added <= new.end:
                return None  # it only retrains the network, which every frame sees
            changed.add(int(oid))
            left = [f for f in frames if f < added]
            right = [f for f in frames if f > added]
            first = min(first, left[-1] if left else new.start)
            last = max(last, right[0] if right else new.end)
    return (first, last, changed) if changed else None
