"""Parent training curves: J on the DAVIS dev split vs training iterations and wall time.

Compares parent-training runs (e.g. the paper's depth-1 net and the OSVOS-style depth-16 net
with deep supervision). For every ``parent_iter{N}.pth`` in each run folder it scores the
parent network itself (no one-shot fine-tuning, no detector) on every ``--frame-step``-th frame
of the 480p dev clips (inference at 240 lines, as parent training saw), the standard measure of
how far parent training has got; without fine-tuning frames are independent, so subsampling
only thins the sample. Wall time is measured, not read from
the training logs (those runs shared the CPU with other jobs): each architecture's seconds per
training iteration are timed back to back on the same frames and threads, and the curve's time
axis is iterations × that.

    .venv/bin/python benchmarks/parent_curve.py runs/parent_d1 runs/parent_osvos16 [--threads 2]

Writes benchmarks/results/parent_curve.json and parent_curve.md; checkpoint scores are kept in
parent_curve_<run>_scores.json and reused (``--scores-only`` scores a run while it still trains).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from pathlib import Path

import numpy as np
import torch

from plugin.evaluate import evaluate_sequence, summary
from vos_core import VideoPredictor, get_preset, load_net
from vos_core.eval.davis import DavisSequence, load_sequences
from vos_core.media.frames import ImageFolder
from vos_core.network.augment import augment
from vos_core.network.training import make_optimizer, train_step

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"
# The parent alone: no fine-tuning, plain threshold, inference at the training height.
PARENT_ONLY = get_preset("fast").with_overrides(finetune_iters=0, infer_height=240, detector="none",
                                                postprocess="threshold")


def checkpoints(run: Path) -> list[tuple[int, Path]]:
    found = [(int(m.group(1)), p) for p in run.glob("parent_iter*.pth") if (m := re.fullmatch(r"parent_iter(\d+)\.pth", p.name))]
    return sorted(found)


def parent_j(weights: Path, frame_step: int) -> dict:
    net, _ = load_net(weights)
    predictor = VideoPredictor(net, PARENT_ONLY, "cpu")
    reports = []
    for seq in load_sequences(DAVIS, split="dev"):
        thinned = DavisSequence(seq.name, ImageFolder(seq.frames.paths[::frame_step]), seq.masks[::frame_step])
        reports.append(evaluate_sequence(predictor, thinned)[""])
    s = summary(reports)
    return {"J_mean": s["J_mean"], "F_mean": s["F_mean"]}


def seconds_per_iteration(net: torch.nn.Module, steps: int, warmup: int = 3) -> float:
    """Time parent-training SGD steps of ``net`` on augmented 240p training frames."""
    optimizer = make_optimizer(net, 1e-3)
    pairs = [p for seq in load_sequences(DAVIS, split="train", resolution="240p")[:3] for p in seq.pairs()]
    rng = np.random.default_rng(0)
    batches = [augment(*pairs[rng.integers(len(pairs))], rng) for _ in range(warmup + steps)]
    for image, mask in batches[:warmup]:
        train_step(net, optimizer, image, mask, "cpu")
    start = time.perf_counter()
    for image, mask in batches[warmup:]:
        train_step(net, optimizer, image, mask, "cpu")
    return (time.perf_counter() - start) / steps


def markdown(runs: list[dict]) -> str:
    head = "| iterations | " + " | ".join(f"{r['name']} J | {r['name']} F | {r['name']} wall min" for r in runs) + " |"
    lines = [head, "|" + "---|" * (1 + 3 * len(runs))]
    iterations = sorted({p["iterations"] for r in runs for p in r["points"]})
    for it in iterations:
        cells = []
        for r in runs:
            p = next((p for p in r["points"] if p["iterations"] == it), None)
            cells += [f"{100 * p['J_mean']:.1f}", f"{100 * p['F_mean']:.1f}", f"{p['wall_min']:.0f}"] if p else ["", "", ""]
        lines.append(f"| {it} | " + " | ".join(cells) + " |")
    speeds = "; ".join(f"{r['name']}: {r['s_per_iter']:.2f} s/iteration ({r['architecture']})" for r in runs)
    return "\n".join(lines) + f"\n\nParent network alone on every {runs[0]['frame_step']}th frame of the 480p dev clips (no fine-tuning, inference at 240 lines). Timed on {runs[0]['threads']} CPU thread(s): {speeds}.\n"


def score_run(run: Path, frame_step: int, cache: Path) -> list[dict]:
    """J of every checkpoint in ``run``; scores already in ``cache`` (same frame step) are reused,
    so a run still training can be scored as it goes."""
    done = json.loads(cache.read_text()) if cache.is_file() else {}
    if done.get("frame_step") != frame_step:
        done = {"frame_step": frame_step, "points": {}}
    for iterations, path in checkpoints(run):
        if str(iterations) not in done["points"]:
            done["points"][str(iterations)] = parent_j(path, frame_step)
            print(run.name, iterations, json.dumps(done["points"][str(iterations)]), flush=True)
            cache.write_text(json.dumps(done, indent=2))
    return [{"iterations": int(k), **v} for k, v in sorted(done["points"].items(), key=lambda kv: int(kv[0]))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", help="parent-training run folders holding parent_iter{N}.pth")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--speed-steps", type=int, default=20)
    parser.add_argument("--frame-step", type=int, default=4, help="score every N-th dev frame (default 4)")
    parser.add_argument("--scores-only", action="store_true", help="score checkpoints, skip timing and the table")
    parser.add_argument("--out", default=str(REPO / "benchmarks/results/parent_curve.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    scored = {}
    for run in map(Path, args.runs):
        if not checkpoints(run):
            raise SystemExit(f"no parent_iter*.pth in {run}")
        scored[run] = score_run(run, args.frame_step, out.with_name(f"{out.stem}_{run.name}_scores.json"))
    if args.scores_only:
        return
    results = []
    for run, points in scored.items():  # timed back to back, under the same load
        net, info = load_net(checkpoints(run)[-1][1])
        meta = info["meta"]
        s_per_iter = seconds_per_iteration(net, args.speed_steps)
        results.append({
            "name": run.name, "threads": args.threads, "frame_step": args.frame_step, "s_per_iter": s_per_iter,
            "architecture": f"side depth {meta['side_depth']}, "
                            + ("deep supervision" if meta.get("deep_supervision") else "fused loss only"),
            "points": [{**p, "wall_min": p["iterations"] * s_per_iter / 60} for p in points],
        })
    out.write_text(json.dumps({"runs": results}, indent=2))
    table = markdown(results)
    out.with_suffix(".md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
