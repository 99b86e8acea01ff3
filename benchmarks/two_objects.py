"""Several objects: two DAVIS-2016 dev clips side by side, segmented as one clip with ids 1 and 2.

DAVIS-2017 ground truth is not available offline, so each pair of dev clips (in split order:
1st+2nd, 3rd+4th, ...) is cut to the shorter length and placed side by side (480 × 1708); the
left clip's object is id 1, the right one's id 2, both annotated on frame 0. Each object's J
(frames 1..N-2, against its ground truth placed in the wide frame) is compared with the J of its
clip segmented alone (same length, same preset). Writes ``benchmarks/results/two_objects.json``.

    .venv/bin/python benchmarks/two_objects.py [--preset fast] [--pairs N]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from vos_core import VideoPredictor, get_preset, load_net, read_image, read_mask
from vos_core.eval.davis import load_sequences
from vos_core.eval.metrics import jaccard
from vos_core.tracking.detection import load_detector

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"
RESULTS = REPO / "benchmarks" / "results"


def run(predictor: VideoPredictor, frames: list, first_masks: dict[int, np.ndarray]) -> tuple[list[dict], float]:
    """Every frame's per-object masks, and the wall seconds."""
    start = time.perf_counter()
    session = predictor.new_session()
    for oid, mask in first_masks.items():
        predictor.add_mask(session, 0, frames[0], mask, oid)
    masks = [result.masks for result in predictor.propagate(session, frames)]
    return masks, time.perf_counter() - start


def j_mean(masks: list[np.ndarray], truth: list[np.ndarray]) -> float:
    return round(100 * float(np.mean([jaccard(m, t) for m, t in zip(masks[1:-1], truth[1:-1])])), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--pairs", type=int, help="only the first N pairs (default: all five)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    config = get_preset(args.preset)
    net, _ = load_net(None)
    predictor = VideoPredictor(net, config, "cpu", load_detector(config.detector, None, "cpu"))
    seqs = load_sequences(DAVIS, split="dev")
    rows = []
    for left, right in list(zip(seqs[0::2], seqs[1::2]))[: args.pairs]:
        n = min(len(left.masks), len(right.masks))
        clips = [([read_image(p) for p in s.frames.paths[:n]], [read_mask(p) for p in s.masks[:n]]) for s in (left, right)]
        wide = [np.concatenate([a, b], axis=1) for a, b in zip(clips[0][0], clips[1][0])]
        blank = [np.zeros_like(m) for m in clips[1][1]]
        truth = {1: [np.concatenate([a, z], axis=1) for a, z in zip(clips[0][1], blank)],
                 2: [np.concatenate([np.zeros_like(a), b], axis=1) for a, b in zip(clips[0][1], clips[1][1])]}
        together, together_s = run(predictor, wide, {oid: t[0] for oid, t in truth.items()})
        row = {"pair": f"{left.name}+{right.name}", "frames": n, "together_s": round(together_s, 1)}
        for oid, (seq, (frames, masks)) in zip((1, 2), zip((left, right), clips)):
            alone, alone_s = run(predictor, frames, {1: masks[0]})
            row[f"object{oid}"] = {
                "sequence": seq.name,
                "J_together": j_mean([m[oid] for m in together], truth[oid]),
                "J_alone": j_mean([m[1] for m in alone], masks),
                "alone_s": round(alone_s, 1),
            }
        print(json.dumps(row), flush=True)
        rows.append(row)
    objects = [row[k] for row in rows for k in ("object1", "object2")]
    summary = {
        "preset": args.preset, "split": "dev", "pairs_run": len(rows),
        "J_together_mean": round(float(np.mean([o["J_together"] for o in objects])), 2),
        "J_alone_mean": round(float(np.mean([o["J_alone"] for o in objects])), 2),
        "pairs": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "two_objects.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "pairs"}))


if __name__ == "__main__":
    main()
