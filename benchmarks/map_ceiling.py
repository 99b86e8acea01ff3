"""How much J the filters could still add on given maps: oracle boxes and thresholds (DAVIS-2016 dev).

On the network maps that ``benchmarks/accuracy_curve.py`` cached for one tuning setting, J of:

- ``threshold``: the map thresholded (the appearance row);
- ``oracle_box_clip`` / ``oracle_box_hysteresis``: the box clip (ground-truth box grown by the
  default clip margin) and the connected-component filter given the ground-truth box instead of the
  selected one — what perfect box selection would give;
- ``oracle_box_best_threshold``: the oracle box clip with, per frame, the best of five thresholds
  (0.3 … 0.9) — what a perfect per-frame threshold would add on top;
- ``full_best_clip_threshold``: the whole pipeline (selected boxes, CC filter) with, per clip, the
  best of five thresholds (0.5 … 0.9) — what a perfect per-clip choice of the user's knob gives;
- ``annotated_frame`` / ``annotated_frame_at_map_size``: the map of the annotated frame itself,
  which fine-tuning trained on, thresholded and scored at 480p / against the mask scaled down to
  the map's size — how well the network can fit what it was shown, at the resolution it works at.

Against the pipeline's own ``full`` row this says whether the filters or the maps hold J back.

    .venv/bin/python benchmarks/map_ceiling.py [--tune it50_h240_f2_c50_mirror] [--cache .cache/accuracy_curve_shipped]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import cv2
import numpy as np
from accuracy_curve import FILTER_GRID, TUNE_GRID, cached_detections, score_filters

from plugin.evaluate import write_json
from vos_core import SegmentConfig, read_mask
from vos_core.eval.davis import load_sequence, split_names
from vos_core.eval.metrics import jaccard
from vos_core.tracking.boxes import expand_box, mask_box
from vos_core.tracking.hysteresis import box_clip, hysteresis_filter

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"
THRESHOLDS = (0.3, 0.5, 0.7, 0.8, 0.9)
CLIP_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def sequence_ceiling(name: str, maps: np.ndarray, config: SegmentConfig, detections_dir: Path) -> dict[str, float]:
    """Mean J (percent) over frames 1..N-2 of each way of turning ``maps`` (N×h×w) into masks, and
    J of the annotated frame's own map."""
    seq = load_sequence(DAVIS, name)
    detections = cached_detections(seq, None, detections_dir)[0]
    full = config.with_overrides(**FILTER_GRID["full"])
    best_clip = max(score_filters(seq, maps, detections, full.with_overrides(threshold=t))["J"] for t in CLIP_THRESHOLDS)
    first = read_mask(seq.masks[0])
    small = cv2.resize(first, maps.shape[:0:-1], interpolation=cv2.INTER_AREA) > 127
    prob = cv2.resize(maps[0].astype(np.float32), first.shape[::-1], interpolation=cv2.INTER_LINEAR)
    annotated = {"annotated_frame": jaccard(prob > config.threshold, first),
                 "annotated_frame_at_map_size": jaccard(maps[0] > config.threshold, small)}
    high, low = config.hysteresis_thresholds
    scores: dict[str, list[float]] = {"threshold": [], "oracle_box_clip": [], "oracle_box_hysteresis": [],
                                      "oracle_box_best_threshold": []}
    for index in range(1, len(maps) - 1):
        gt = read_mask(seq.masks[index])
        prob = cv2.resize(maps[index].astype(np.float32), (gt.shape[1], gt.shape[0]), interpolation=cv2.INTER_LINEAR)
        scores["threshold"].append(jaccard(prob > config.threshold, gt))
        box = mask_box(gt)
        if box is None:  # the object is out of view: nothing to choose a box for
            continue
        grown = [expand_box(box, config.clip_margin)]
        scores["oracle_box_clip"].append(jaccard(box_clip(prob, grown, config.threshold), gt))
        scores["oracle_box_hysteresis"].append(jaccard(hysteresis_filter(prob, [box], high, low), gt))
        scores["oracle_box_best_threshold"].append(max(jaccard(box_clip(prob, grown, t), gt) for t in THRESHOLDS))
    return {**{key: 100 * float(np.mean(values)) for key, values in scores.items()},
            "full_best_clip_threshold": 100 * best_clip, **{k: 100 * v for k, v in annotated.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune", default="it50_h240_f2_c50_mirror", help="a tuning setting of accuracy_curve.py")
    parser.add_argument("--cache", default=str(REPO / ".cache" / "accuracy_curve_shipped"))
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "map_ceiling.json"))
    args = parser.parse_args()
    config = SegmentConfig().with_overrides(**TUNE_GRID[args.tune])
    per_sequence = {}
    for name in split_names(DAVIS, "dev"):
        maps = np.load(Path(args.cache) / args.tune / f"{name}.npz")["maps"]
        per_sequence[name] = sequence_ceiling(name, maps, config, Path(args.cache) / "detections")
        print(name, {k: round(v, 1) for k, v in per_sequence[name].items()}, flush=True)
    keys = next(iter(per_sequence.values())).keys()
    mean = {key: round(float(np.mean([s[key] for s in per_sequence.values()])), 2) for key in keys}
    print("mean", mean)
    write_json(Path(args.out), {"tune": args.tune, "split": "dev", "J_mean": mean, "threshold": config.threshold,
                                "clip_margin": config.clip_margin,
                                "per_sequence_J": {n: {k: round(v, 1) for k, v in s.items()} for n, s in per_sequence.items()},
                                "command": f".venv/bin/python benchmarks/map_ceiling.py --tune {args.tune}"})


if __name__ == "__main__":
    main()
