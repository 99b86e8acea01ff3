"""Object-centred stabilisation and reframing on the DAVIS-2016 dev clips (ground-truth mattes, 854×480).

For each aspect (source = stabilisation with zoom 1.25; 9:16, 1:1, 4:5 at zoom 1) and camera
smoothing (the default 30 frames, and 0 = crop locked on the object), this measures per clip:

- ``object_speed``: mean |Δ object centre| (px/frame) in the source frame and in the output crop;
- ``object_jitter``: mean |Δ² object centre| (px/frame: its change of velocity), source vs output;
- ``camera_jitter``: mean |Δ² crop position| (px/frame), how shaky the virtual camera is;
- ``crop_outside_frame_frames``: frames whose crop leaves the source frame (must be 0);
- ``centre_inside`` / ``extent_inside``: fraction of frames showing the object's centre / its whole
  (2–98 percentile) extent.

Writes ``benchmarks/results/reframe.json``: ``{"settings", "rows": [{aspect, smoothing, clips, mean…}]}``.

    .venv/bin/python benchmarks/reframe.py
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from vos_core import read_mask
from vos_core.app.reframe import ReframeSettings, parse_aspect, reframe, track_object
from vos_core.eval.davis import load_sequences

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"
OUT = REPO / "benchmarks" / "results" / "reframe.json"
ASPECTS = {"source": 1.25, "9:16": 1.0, "1:1": 1.0, "4:5": 1.0}  # aspect → zoom
SMOOTHING = (30.0, 0.0)


def _mean_norm(steps: np.ndarray) -> float:
    return float(np.linalg.norm(steps, axis=1).mean()) if len(steps) else 0.0


def clip_metrics(track, path) -> dict:
    """The measures listed in the module docstring for one clip's track and crop path."""
    x, y, w, h = path.windows.T.astype(float)
    centre = track.centres
    in_crop = centre - path.windows[:, :2]
    b = track.boxes
    outside = (x < 0) | (y < 0) | (x + w > track.width) | (y + h > track.height)
    return {
        "frames": len(centre),
        "object_speed_source": _mean_norm(np.diff(centre, axis=0)),
        "object_speed_output": _mean_norm(np.diff(in_crop, axis=0)),
        "object_jitter_source": _mean_norm(np.diff(centre, 2, axis=0)),
        "object_jitter_output": _mean_norm(np.diff(in_crop, 2, axis=0)),
        "camera_jitter": _mean_norm(np.diff(path.windows[:, :2].astype(float), 2, axis=0)),
        "crop_outside_frame_frames": int(outside.sum()),
        "centre_inside": float(((centre[:, 0] >= x) & (centre[:, 0] < x + w)
                                & (centre[:, 1] >= y) & (centre[:, 1] < y + h)).mean()),
        "extent_inside": float(((b[:, 2] >= x) & (b[:, 4] <= x + w) & (b[:, 3] >= y) & (b[:, 5] <= y + h)).mean()),
        "crop": [int(w[0]), int(h[0])],
    }


def main() -> None:
    sequences = load_sequences(DAVIS, split="dev")
    tracks = {seq.name: track_object(read_mask(p) for p in seq.masks) for seq in sequences}
    rows = []
    for aspect, zoom in ASPECTS.items():
        for smoothing in SMOOTHING:
            settings = ReframeSettings(parse_aspect(aspect), zoom, smoothing)
            start = time.perf_counter()
            clips = {name: clip_metrics(track, reframe(track, settings)) for name, track in tracks.items()}
            seconds = time.perf_counter() - start
            keys = [k for k in next(iter(clips.values())) if k not in ("frames", "crop")]
            mean = {k: round(float(np.mean([c[k] for c in clips.values()])), 3) for k in keys}
            mean["crop_outside_frame_frames"] = sum(c["crop_outside_frame_frames"] for c in clips.values())
            rows.append({"aspect": aspect, "zoom": zoom, "smoothing_frames": smoothing, "mean": mean,
                         "path_seconds_per_frame": seconds / sum(c["frames"] for c in clips.values()),
                         "clips": {n: {k: (round(v, 3) if isinstance(v, float) else v) for k, v in c.items()}
                                   for n, c in clips.items()}})
            print(f"{aspect:>6} smoothing {smoothing:>4}: " + ", ".join(f"{k} {v}" for k, v in mean.items()))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "what": "object-centre speed/jitter (px/frame) in the source vs the reframed output; crop never outside the frame",
        "data": "DAVIS-2016 dev split, 480p ground-truth masks as mattes",
        "settings": {"margin": ReframeSettings().margin}, "machine": platform.processor() or platform.machine(),
        "command": ".venv/bin/python benchmarks/reframe.py", "rows": rows,
    }, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
