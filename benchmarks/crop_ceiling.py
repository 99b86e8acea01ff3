"""How much object-centred crops can give, before the tracker has to place them.

On each DAVIS-2016 dev clip one network is fine-tuned (the given settings, crops on) and the
clip is segmented three ways with it: whole frames only (no crops), crops placed by the tracker
(the product: each from the object's mask on the previous frame), and crops placed from the
ground-truth box of the frame itself (the ceiling: a perfect tracker). Each way is scored on the
appearance map alone (threshold) and through the full pipeline. Frames are scored as in
``vos-matte eval`` (all but the first and last).

    .venv/bin/python benchmarks/crop_ceiling.py [--weights FILE] [--preset fast] [--crop-size 160]

Writes benchmarks/results/crop_ceiling.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

import numpy as np

from plugin.evaluate import fitted_session, write_json
from vos_core import VideoPredictor, get_preset, load_net, read_mask
from vos_core.config import ABLATION
from vos_core.eval.davis import load_sequences
from vos_core.eval.metrics import f_measure, jaccard
from vos_core.tracking.boxes import mask_box
from vos_core.tracking.detection import load_detector

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"
RESULTS = REPO / "benchmarks" / "results"
PLACEMENTS = ("whole_frame", "tracked_crop", "oracle_crop")
FILTERS = {"appearance": ABLATION["appearance"], "full": ABLATION["full"]}


def score_clip(predictor: VideoPredictor, seq, placement: str) -> dict[str, tuple[float, float]]:
    """(J, F) per filter row for one clip with crops placed as ``placement`` says."""
    base, _ = fitted_session(predictor, seq)
    sessions = {name: predictor.clone_session(base, predictor.config.with_overrides(**o)) for name, o in FILTERS.items()}
    placer = sessions["full"]
    scores = {name: ([], []) for name in sessions}
    n = len(seq.masks)
    for index, frame in enumerate(seq.frames):
        gt = read_mask(seq.masks[index])
        obj = placer.objects[1]
        if placement == "oracle_crop" and index not in obj.keyframes:
            obj.crop_box = mask_box(gt)
        maps = predictor.maps(placer, index, frame) if placement != "whole_frame" else \
            {1: predictor.object_map(placer, obj, predictor.small_frame(frame))}
        detections = predictor.detect(frame, *sessions.values())
        for name, session in sessions.items():
            matte = predictor.finish_frame(session, index, frame, maps, detections).matte
            if 0 < index < n - 1:
                scores[name][0].append(jaccard(matte, gt))
                scores[name][1].append(f_measure(matte, gt))
    return {name: (float(np.mean(j)), float(np.mean(f))) for name, (j, f) in scores.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", help="parent network (default: the bundled one)")
    ap.add_argument("--preset", default="fast")
    ap.add_argument("--crop-size", type=int, default=160)
    ap.add_argument("--out", default=str(RESULTS / "crop_ceiling.json"))
    args = ap.parse_args()
    config = get_preset(args.preset).with_overrides(crop_size=args.crop_size)
    net, info = load_net(args.weights)
    predictor = VideoPredictor(net, config, "cpu", load_detector(config.detector))
    rows = {p: {} for p in PLACEMENTS}
    for seq in load_sequences(DAVIS, split="dev"):
        for placement in PLACEMENTS:
            rows[placement][seq.name] = score_clip(predictor, seq, placement)
            print(seq.name, placement, {k: tuple(round(100 * v, 1) for v in jf) for k, jf in rows[placement][seq.name].items()},
                  flush=True)
    summary = {p: {name: {"J": round(100 * np.mean([c[name][0] for c in clips.values()]), 2),
                          "F": round(100 * np.mean([c[name][1] for c in clips.values()]), 2)} for name in FILTERS}
               for p, clips in rows.items()}
    write_json(args.out, {"summary": summary, "sequences": rows, "preset": args.preset, "config": config.to_dict(),
                          "weights": info["path"], "machine": platform.processor() or platform.machine(),
                          "command": " ".join([Path(sys.executable).name, *sys.argv])})
    print(summary)


if __name__ == "__main__":
    main()
