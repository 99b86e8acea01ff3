"""J and F against seconds for crops, parents and map averaging: the curve the presets come from.

Each row is one full-pipeline run of ``vos-matte eval`` on the DAVIS-2016 dev split (fine-tuned on
frame 0, every frame scored but the first and last) with a parent network and settings
(a preset plus overrides). Rows are appended to ``benchmarks/results/crop_curve.jsonl`` as they
finish (resumable: a row already there is not run again), and the table is rewritten to
``crop_curve.md``. Seconds per 70 frames = mean fine-tuning + 70 × mean seconds per frame, 2 torch
threads; rows that ran beside other jobs are marked in the table and their seconds are not comparable.

    .venv/bin/python benchmarks/crop_curve.py [--rows NAME,NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from plugin.evaluate import evaluate, summary
from vos_core import get_preset

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"
RESULTS = REPO / "benchmarks" / "results"
SHIPPED = "vos_core/weights/parent_fp16.pth"  # the 480p + crops parent
# Not in the repository: the 240-line parent shipped until 2026-12-04 (git show ed185b3^:vos_core/weights/parent_fp16.pth)
# and the lease's other checkpoints (benchmarks/parent_gpu.py), under runs/.
OLD = "runs/parent_shipped.pth"
WHOLE = {"crop_size": 0}
ROWS: dict[str, tuple[str, str, dict]] = {
    "old_whole_fast": (OLD, "fast", WHOLE),
    "old_crop160": (OLD, "fast", {}),
    "new_whole": (SHIPPED, "fast", WHOLE),
    "new_crop160": (SHIPPED, "fast", {}),
    "new_crop224": (SHIPPED, "fast", {"crop_size": 224}),
    "new_crop160_it150": (SHIPPED, "fast", {"finetune_iters": 150}),
    "new_crop160_mirror": (SHIPPED, "fast", {"mirror_average": True}),
    "new_crop160_ens2": (SHIPPED, "fast", {"ensemble": 2}),
    "lease2_lr1e-2_crop160": ("runs/gpu2/parent_lr0.01.pth", "fast", {}),
    "lease2_lr2e-2_crop160": ("runs/gpu2/parent_lr0.02.pth", "fast", {}),
}


def run_row(name: str) -> dict:
    weights, preset, overrides = ROWS[name]
    config = get_preset(preset).with_overrides(**overrides)
    reports, started = [], time.time()
    for per_variant in evaluate(DAVIS, config, weights=REPO / weights):
        reports.append(per_variant[""])
        print(f"{name} {reports[-1].name:15s} J {reports[-1].J.mean:.3f} F {reports[-1].F.mean:.3f}", flush=True)
    s = summary(reports)
    return {"name": name, "weights": weights, "preset": preset, "overrides": overrides,
            "J": round(100 * s["J_mean"], 2), "F": round(100 * s["F_mean"], 2),
            "seconds_per_70_frames": round(s["finetune_s_mean"] + 70 * s["infer_s_per_frame_mean"], 1),
            "sequences": {r.name: {"J": round(100 * r.J.mean, 2), "F": round(100 * r.F.mean, 2)} for r in reports},
            "wall_s": round(time.time() - started), "threads": torch.get_num_threads()}


def markdown(rows: list[dict]) -> str:
    names = list(rows[0]["sequences"])
    lines = ["| row | " + " | ".join(names) + " | J | F | s / 70 frames |", "|---" * (len(names) + 4) + "|"]
    for r in rows:
        seconds = f"{r['seconds_per_70_frames']}{'†' if r.get('shared_cpu') else ''}"
        lines.append(f"| {r['name']} | " + " | ".join(f"{r['sequences'][n]['J']:.1f}" for n in names)
                     + f" | {r['J']:.1f} | {r['F']:.1f} | {seconds} |")
    notes = [f"- {r['name']}: {r['note']}" for r in rows if r.get("note")]
    return "\n".join([*lines, "", "Per-clip J; † seconds measured beside other jobs (not comparable).", *notes, ""])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", help="comma-separated row names (default: all)")
    args = ap.parse_args()
    path = RESULTS / "crop_curve.jsonl"
    done = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    for name in (args.rows.split(",") if args.rows else ROWS):
        if name not in {r["name"] for r in done}:
            done.append(run_row(name))
            with path.open("a") as f:
                f.write(json.dumps(done[-1]) + "\n")
    (RESULTS / "crop_curve.md").write_text(markdown(done))


if __name__ == "__main__":
    main()
