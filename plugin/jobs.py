"""A segmentation job as one JSON-serialisable description, shared by every host."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vos_core import SegmentConfig, VosError, get_preset
from vos_core.config import reject_unknown


@dataclass(frozen=True)
class SegmentJob:
    """Segment ``input`` (video file or image folder) from ``mask`` drawn on frame ``mask_frame``.

    ``output`` is a folder that receives one 8-bit grey PNG matte per frame, named like the
    frames (``00000.png``...). ``settings`` overrides fields of the preset (see SegmentConfig).
    ``refine_mask`` snaps the drawn mask to the object's edges with GrabCut before fine-tuning.
    """

    input: str
    mask: str
    output: str
    mask_frame: int = 0
    preset: str = "fast"
    settings: dict[str, Any] = field(default_factory=dict)
    weights: str | None = None
    device: str | None = None
    resize_mask: bool = False
    refine_mask: bool = False

    def config(self) -> SegmentConfig:
        return get_preset(self.preset).with_overrides(**self.settings)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SegmentJob:
        reject_unknown(cls, data, "job field")
        missing = {"input", "mask", "output"} - set(data)
        if missing:
            raise VosError(f"job is missing: {', '.join(sorted(missing))}")
        return cls(**data)

    @classmethod
    def load(cls, path: str | Path) -> SegmentJob:
        try:
            return cls.from_dict(json.loads(Path(path).read_text()))
        except (OSError, ValueError) as exc:
            raise VosError(f"cannot read job file {path}: {exc}") from None
