"""The parent network alone (no fine-tuning, no filters) on the DAVIS-2016 dev clips, two views.

Every 4th frame of the 10 dev clips at 480p, map thresholded at the presets' 0.7:
- ``whole``: the frame at 240 lines (the whole-frame pass);
- ``crop``: a crop placed from that frame's ground-truth box at the crop scale (``--crop-size``),
  or the whole frame where the crop would not magnify the object (``crops.object_crop``).

    .venv/bin/python benchmarks/parent_alone.py runs/gpu1/parent_lr0.01.pth vos_core/weights/parent_fp16.pth

Writes benchmarks/results/parent_alone.json (J and F in percent per weights file, view and clip).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from plugin.evaluate import write_json
from vos_core import VideoPredictor, get_preset, load_net, read_mask
from vos_core.eval.davis import load_sequences
from vos_core.eval.metrics import f_measure, jaccard
from vos_core.matte.upsample import upsample_map
from vos_core.network.crops import cut, object_crop, paste
from vos_core.tracking.boxes import mask_box

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"
FRAME_STEP = 4


def score(weights: str, crop_size: int) -> dict:
    config = get_preset("fast").with_overrides(finetune_iters=0, detector="none", postprocess="threshold",
                                               crop_size=crop_size)
    net, _ = load_net(weights)
    predictor = VideoPredictor(net, config, "cpu")
    side = config.crop_spec.side
    clips = {}
    for seq in load_sequences(DAVIS, split="dev"):
        rows = {"whole": ([], []), "crop": ([], [])}
        for i in range(0, len(seq.masks), FRAME_STEP):
            frame, gt = seq.frames[i], read_mask(seq.masks[i])
            whole = upsample_map(predictor.predict_map(predictor.net, predictor.small_frame(frame)), frame)
            warp = object_crop(mask_box(gt), gt.shape, config.infer_height, config.crop_spec)
            crop = whole if warp is None else paste(predictor.predict_map(predictor.net, cut(frame, warp, (side, side))),
                                                   warp, gt.shape)
            for view, prob in (("whole", whole), ("crop", crop)):
                mask = np.where(prob > config.threshold, 255, 0).astype(np.uint8)
                rows[view][0].append(jaccard(mask, gt))
                rows[view][1].append(f_measure(mask, gt))
        clips[seq.name] = {view: {"J": round(100 * np.mean(j), 2), "F": round(100 * np.mean(f), 2)}
                           for view, (j, f) in rows.items()}
        print(weights, seq.name, clips[seq.name], flush=True)
    mean = {view: {m: round(np.mean([c[view][m] for c in clips.values()]), 2) for m in ("J", "F")} for view in rows}
    return {"mean": mean, "sequences": clips}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("weights", nargs="+")
    ap.add_argument("--crop-size", type=int, default=160)
    ap.add_argument("--out", default=str(REPO / "benchmarks/results/parent_alone.json"))
    args = ap.parse_args()
    results = {w: score(w, args.crop_size) for w in args.weights}
    write_json(args.out, {"frame_step": FRAME_STEP, "crop_size": args.crop_size, "threshold": 0.7, "results": results})
    for w, r in results.items():
        print(w, r["mean"])


if __name__ == "__main__":
    main()
