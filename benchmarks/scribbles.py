"""Scribble annotation on the DAVIS-2016 dev clips: how close ~5 strokes get to the drawn mask, and the final J.

For each clip, :func:`vos_core.app.scribbles.synthetic_strokes` draws 3 foreground strokes along the
skeleton of the ground-truth first-frame mask and 2 background strokes along the skeleton of the
background (kept clear of the object), as a user might; :func:`scribble_mask` turns them into a
mask. Measured: the IoU of that mask with the ground truth, then the whole pipeline (preset
``fast``) started from it, scored like ``vos-matte eval`` (J on frames 1..N-2, percent). With
``--baseline`` the same run also starts from the ground-truth mask, for the J it would have had.

Writes ``benchmarks/results/scribbles.json`` (``iou_mean``, ``J_mean``, ``J_mean_from_ground_truth``,
per clip), and the strokes and masks as PNGs under ``benchmarks/results/scribbles/`` with ``--keep``.

    nice -n 19 flock /tmp/vos-heavy.lock .venv/bin/python benchmarks/scribbles.py --baseline
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from plugin.evaluate import evaluate_sequence
from vos_core import VideoPredictor, get_preset, load_net, read_image, read_mask, write_mask
from vos_core.app.scribbles import scribble_mask, synthetic_strokes
from vos_core.eval.davis import load_sequences
from vos_core.eval.metrics import jaccard
from vos_core.tracking.detection import load_detector

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"
OUT = REPO / "benchmarks" / "results" / "scribbles.json"
PRESET = "fast"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", action="store_true", help="also run from the ground-truth first-frame mask")
    parser.add_argument("--no-segment", action="store_true", help="only the scribble IoU (seconds, no fine-tuning)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    config = get_preset(PRESET)
    net, _ = load_net()
    detector = load_detector(config.detector)
    clips = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seq in load_sequences(DAVIS, split="dev"):
            truth = read_mask(seq.masks[0]) > 0
            fg, bg = synthetic_strokes(truth)
            start = time.perf_counter()
            mask = scribble_mask(read_image(seq.frames.paths[0]), fg, bg)
            row = {"iou": round(jaccard(mask > 0, truth), 4), "grabcut_s": round(time.perf_counter() - start, 2),
                   "stroke_pixels": {"foreground": int((fg > 0).sum()), "background": int((bg > 0).sum())}}
            if not args.no_segment:
                path = Path(tmp) / f"{seq.name}.png"
                write_mask(path, mask)
                starts = {"J": dataclasses.replace(seq, masks=(path, *seq.masks[1:]))}  # frame 0 is never scored
                if args.baseline:
                    starts["J_from_ground_truth"] = seq
                for key, annotated in starts.items():
                    report = evaluate_sequence(VideoPredictor(net, config, "cpu", detector), annotated)[""]
                    row[key] = round(100 * report.J.mean, 2)
            clips[seq.name] = row
            print(seq.name, row, flush=True)
    summary = {"iou_mean": round(float(np.mean([c["iou"] for c in clips.values()])), 4)}
    for key in ("J", "J_from_ground_truth"):
        if all(key in c for c in clips.values()):
            summary[f"{key.replace('J', 'J_mean', 1)}"] = round(float(np.mean([c[key] for c in clips.values()])), 2)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        **summary, "split": "dev", "preset": PRESET, "strokes": "3 foreground + 2 background, 5 px wide, skeletons",
        "units": "iou 0..1; J percent, frames 1..N-2 as vos-matte eval", "machine": platform.processor(),
        "torch_threads": torch.get_num_threads(),
        "command": "nice -n 19 flock /tmp/vos-heavy.lock .venv/bin/python benchmarks/scribbles.py"
                   + (" --baseline" if args.baseline else "") + (" --no-segment" if args.no_segment else ""),
        "clips": clips,
    }, indent=1) + "\n")
    print(summary, f"wrote {OUT}")


if __name__ == "__main__":
    main()
