"""Keyframes on the DAVIS-2016 dev clips: more annotations, backward propagation, correction cost.

1. ``keyframes.json``: J and F with 1, 2 and 4 ground-truth keyframes at evenly spaced frames
   (0, N/k, 2N/k...; the OSVOS "more annotations" protocol), scored on every other frame
   except the first and last; ``seconds`` is the mean wall time per clip (fine-tuning + all frames).
2. ``keyframes_backward.json``: one keyframe on the middle frame; J on the frames before it
   (tracked backward) and after it (forward), per clip and mean. The two halves of a clip differ
   in content, so a direction control scores each half both ways from the same distances: the
   first half forward from frame 0 and backward from the middle, the second half forward from the
   middle and backward from the last frame (``direction``: J forward vs J backward, same frames).
3. ``correction_cost.json``: the product path (``plugin.pipeline.run_job`` writing PNG mattes):
   seconds for a full run with a keyframe on frame 0, then for the re-run after adding a
   keyframe on the middle frame (cached fitted network, ``refit_iters`` more steps, only the
   frames between the new keyframe's neighbours), and for the same two keyframes from scratch.

    .venv/bin/python benchmarks/keyframes.py [--preset fast] [--seqs a,b] [--middle-clips N] [--redo] [--no-cost]

Per-clip results are cached under ``.cache/keyframes/<preset>/`` (resumable). 2 torch threads.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import torch

from plugin.fit_cache import FitCache
from plugin.jobs import Job, MaskRef, ObjectSpec, Output
from plugin.pipeline import run_job
from vos_core import VideoPredictor, get_preset, load_net, read_image, read_mask
from vos_core.eval.davis import load_sequences
from vos_core.eval.metrics import f_measure, jaccard
from vos_core.tracking.detection import load_detector

REPO = Path(__file__).resolve().parents[1]
DAVIS = Path(os.environ.get("VOS_SHARED_DIR", REPO.parent / "shared")) / "davis2016"
RESULTS = REPO / "benchmarks" / "results"
COUNTS = (1, 2, 4)


def spaced(n: int, k: int) -> list[int]:
    """``k`` keyframes evenly spaced over ``n`` frames, the first on frame 0."""
    return [i * n // k for i in range(k)]


def segment(predictor: VideoPredictor, frames: list, masks: list, keyframes: list[int]) -> tuple[dict, float]:
    """J/F lists on the scored frames (not keyframes, not first or last) and the wall seconds."""
    start = time.perf_counter()
    session = predictor.new_session()
    for k in keyframes:
        predictor.add_mask(session, k, frames[k], masks[k])
    scores: dict[int, tuple[float, float]] = {}
    for result in predictor.propagate(session, frames):
        i = result.index
        if i not in keyframes and 0 < i < len(frames) - 1:
            scores[i] = (jaccard(result.masks[1], masks[i]), f_measure(result.masks[1], masks[i]))
    return scores, time.perf_counter() - start


def cached(path: Path, redo: bool, compute) -> dict:
    if path.is_file() and not redo:
        return json.loads(path.read_text())
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result))
    return result


def mean(values) -> float:
    return round(100 * float(np.mean(list(values))), 2)


def keyframe_scores(predictor, frames: list, masks: list, keyframes: list[int]) -> dict:
    scores, seconds = segment(predictor, frames, masks, keyframes)
    return {"J": float(np.mean([j for j, _ in scores.values()])),
            "F": float(np.mean([f for _, f in scores.values()])), "seconds": seconds}


def middle_scores(predictor, frames: list, masks: list) -> dict:
    """J before and after a single keyframe on the middle frame."""
    middle = len(frames) // 2
    scores, seconds = segment(predictor, frames, masks, [middle])
    return {"before": float(np.mean([scores[i][0] for i in scores if i < middle])),
            "after": float(np.mean([scores[i][0] for i in scores if i > middle])), "seconds": seconds}


def direction_scores(predictor, frames: list, masks: list) -> dict:
    """The two runs the middle-frame run lacks for a direction control: the first half forward from
    frame 0 and the second half backward from the last frame (each over the same frames, at the
    same distances from its keyframe, as the middle run's other direction)."""
    middle, last = len(frames) // 2, len(frames) - 1
    forward, _ = segment(predictor, frames, masks, [0])
    backward, _ = segment(predictor, frames, masks, [last])
    return {"before_forward": float(np.mean([forward[i][0] for i in forward if i < middle])),
            "after_backward": float(np.mean([backward[i][0] for i in backward if middle < i < last]))}


def more_annotations(predictor, seqs, cache: Path, redo: bool, middle_clips: int | None) -> tuple[list[dict], dict]:
    """The keyframe counts on every clip first, then the middle-frame runs on the first ``middle_clips``."""
    rows, backward = [], {}
    per_k = {k: {"J": [], "F": [], "s": []} for k in COUNTS}

    def load(seq) -> tuple[list, list]:
        return [read_image(p) for p in seq.frames.paths], [read_mask(p) for p in seq.masks]

    for seq in seqs:
        frames, masks = load(seq)
        for k in COUNTS:
            keys = spaced(len(frames), k)
            r = cached(cache / f"{seq.name}_k{k}.json", redo, partial(keyframe_scores, predictor, frames, masks, keys))
            print(f"{seq.name} k={k}: J {100 * r['J']:.1f} F {100 * r['F']:.1f} {r['seconds']:.0f} s", flush=True)
            per_k[k]["J"].append(r["J"]), per_k[k]["F"].append(r["F"]), per_k[k]["s"].append(r["seconds"])
    control = {}
    for seq in seqs[:middle_clips]:
        b = backward[seq.name] = cached(cache / f"{seq.name}_middle.json", redo, partial(middle_scores, predictor, *load(seq)))
        print(f"{seq.name} middle: before {100 * b['before']:.1f} after {100 * b['after']:.1f}", flush=True)
        c = control[seq.name] = cached(cache / f"{seq.name}_direction.json", redo,
                                       partial(direction_scores, predictor, *load(seq)))
        print(f"{seq.name} control: first half forward {100 * c['before_forward']:.1f}, "
              f"second half backward {100 * c['after_backward']:.1f}", flush=True)
    for k in COUNTS:
        rows.append({"keyframes": k, "J": mean(per_k[k]["J"]), "F": mean(per_k[k]["F"]),
                     "seconds": round(float(np.mean(per_k[k]["s"])), 1)})
    summary = {
        "clips": len(backward),
        "J_before_middle": mean(v["before"] for v in backward.values()),
        "J_after_middle": mean(v["after"] for v in backward.values()),
        "per_sequence": {name: {"J_before": round(100 * v["before"], 2), "J_after": round(100 * v["after"], 2)}
                         for name, v in backward.items()},
        # Same frames both ways: each half forward and backward from a keyframe at its ends.
        "direction": {
            "J_forward": mean((backward[n]["after"] + c["before_forward"]) / 2 for n, c in control.items()),
            "J_backward": mean((backward[n]["before"] + c["after_backward"]) / 2 for n, c in control.items()),
            "per_sequence": {n: {"first_half_forward": round(100 * c["before_forward"], 2),
                                 "first_half_backward": round(100 * backward[n]["before"], 2),
                                 "second_half_forward": round(100 * backward[n]["after"], 2),
                                 "second_half_backward": round(100 * c["after_backward"], 2)}
                             for n, c in control.items()},
        },
    }
    return rows, summary


def correction_cost(seq, preset: str) -> dict:
    """Seconds of run_job: full run, re-run after adding a middle keyframe, and that job from scratch."""
    n = len(seq.masks)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "matte"

        def job(keys):
            objects = (ObjectSpec(1, tuple(MaskRef(k, str(seq.masks[k])) for k in keys)),)
            return Job(input=str(seq.frames.paths[0].parent), outputs=(Output("matte", str(out)),), objects=objects,
                       preset=preset)

        timings = {}
        cache = FitCache(Path(tmp) / "cache")
        for name, keys, fit_cache in (("full_run_s", [0], cache), ("correction_s", [0, n // 2], cache),
                                      ("two_keyframes_from_scratch_s", [0, n // 2], None)):
            if fit_cache is None:
                (out / ".vos-run.json").unlink()  # no record: the whole clip runs
            start = time.perf_counter()
            run_job(job(keys), fit_cache=fit_cache)
            timings[name] = round(time.perf_counter() - start, 1)
    return {"sequence": seq.name, "frames": n, "preset": preset, **timings,
            "frames_redone_in_correction": n - n // 2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--seqs", help="comma-separated dev sequences (default: the whole dev split)")
    parser.add_argument("--redo", action="store_true", help="recompute cached per-clip results")
    parser.add_argument("--cache", default=str(REPO / ".cache" / "keyframes"))
    parser.add_argument("--middle-clips", type=int, help="middle-frame runs on the first N clips only (default: all)")
    parser.add_argument("--no-cost", action="store_true", help="skip the correction-cost runs (keep correction_cost.json)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    seqs = load_sequences(DAVIS, args.seqs.split(",") if args.seqs else None, split=None if args.seqs else "dev")
    config = get_preset(args.preset)
    net, _ = load_net(None)
    predictor = VideoPredictor(net, config, "cpu", load_detector(config.detector, None, "cpu"))
    rows, backward = more_annotations(predictor, seqs, Path(args.cache) / args.preset, args.redo, args.middle_clips)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "keyframes.json").write_text(json.dumps(rows, indent=2) + "\n")
    (RESULTS / "keyframes_backward.json").write_text(json.dumps(
        {"preset": args.preset, "split": "dev", **backward}, indent=2) + "\n")
    print(json.dumps(rows), json.dumps({k: v for k, v in backward.items() if k != "per_sequence"}))
    if not args.no_cost:
        cost = correction_cost(seqs[0], args.preset)
        (RESULTS / "correction_cost.json").write_text(json.dumps(cost, indent=2) + "\n")
        print(json.dumps(cost))


if __name__ == "__main__":
    main()
